// Where the table starts: banks put title lines, account metadata and blank
// lines before the header (or before the first row of a header-less file).
// The first data row is the first record with a date cell and a separate
// amount cell; the header is the nearest record before it that looks like
// one (text only, enough cells or known column names). Everything above is
// preamble. Rows between the header and the first data row (a username line,
// undated pending rows) stay data rows; row conversion decides about them.
import { isAmountLike, isDateLike } from './cells.ts';
import { HEADER_ROLES, headerScore } from './headers.ts';
import { isBlank, type CsvRecord } from './tokenize.ts';

const SCAN_RECORDS = 200;
const HEADER_LOOKBACK = 12;
// Cells looked at per record while finding the table; keeps hostile million-cell lines cheap.
const SCAN_CELLS = 500;

export interface Layout {
  /** Index into records of the header row, or -1. */
  headerIndex: number;
  /** Index of the first record after the header / preamble. */
  startIndex: number;
}

function nonEmpty(r: CsvRecord): number {
  let n = 0;
  for (const c of r.cells.slice(0, SCAN_CELLS)) if (c.trim() !== '') n += 1;
  return n;
}

function isDataRow(r: CsvRecord): boolean {
  let dateAt = -1;
  const n = Math.min(r.cells.length, SCAN_CELLS);
  for (let i = 0; i < n; i += 1) {
    if (isDateLike(r.cells[i] as string)) {
      dateAt = i;
      break;
    }
  }
  if (dateAt < 0) return false;
  for (let i = 0; i < n; i += 1) if (i !== dateAt && isAmountLike(r.cells[i] as string)) return true;
  return false;
}

function knownHeaderCells(r: CsvRecord): number {
  let n = 0;
  for (const c of r.cells.slice(0, SCAN_CELLS)) if (c.trim() !== '' && c.length <= 100 && HEADER_ROLES.some((role) => headerScore(c, role) > 0)) n += 1;
  return n;
}

export function isHeaderLike(r: CsvRecord, firstData: CsvRecord | undefined): boolean {
  const filled = nonEmpty(r);
  if (filled < 2) return false;
  for (const c of r.cells.slice(0, SCAN_CELLS)) if (c.trim() !== '' && (isDateLike(c) || isAmountLike(c))) return false;
  if (knownHeaderCells(r) >= 2) return true;
  const need = Math.max(2, Math.ceil((firstData !== undefined ? nonEmpty(firstData) : 2) / 2));
  return filled >= need;
}

export function firstDataIndex(records: CsvRecord[], from: number): number {
  const end = Math.min(records.length, from + SCAN_RECORDS);
  for (let i = from; i < end; i += 1) if (isDataRow(records[i] as CsvRecord)) return i;
  return -1;
}

/** Detects header and preamble from `from` (records before it were skipped by the caller). */
export function detectLayout(records: CsvRecord[], from: number, hasHeader: boolean | undefined): Layout {
  let first = from;
  while (first < records.length && isBlank(records[first] as CsvRecord)) first += 1;
  const data = firstDataIndex(records, first);
  if (data < 0) {
    // No recognisable data row: take the first non-blank record as header when asked or when it looks like one.
    const header = hasHeader === false ? -1 : hasHeader === true || (first < records.length && isHeaderLike(records[first] as CsvRecord, records[first + 1])) ? first : -1;
    return { headerIndex: header, startIndex: header >= 0 ? header + 1 : first };
  }
  if (hasHeader === false) return { headerIndex: -1, startIndex: data };
  for (let i = data - 1; i >= first && i >= data - HEADER_LOOKBACK; i -= 1) {
    const r = records[i] as CsvRecord;
    if (isBlank(r)) continue;
    if (isHeaderLike(r, records[data])) return { headerIndex: i, startIndex: i + 1 };
  }
  if (hasHeader === true) {
    // The caller says there is a header: the nearest non-blank record above the data.
    for (let i = data - 1; i >= first; i -= 1) if (!isBlank(records[i] as CsvRecord)) return { headerIndex: i, startIndex: i + 1 };
    return { headerIndex: first, startIndex: first + 1 };
  }
  return { headerIndex: -1, startIndex: data };
}
