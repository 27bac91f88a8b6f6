// Works out how to read a CSV: delimiter, preamble/header, column roles,
// date format (tested against every value of the date column) and decimal
// separator. Anything it cannot settle without guessing becomes a problem in
// the detection; parseCsv then asks (CSV_MAPPING_REQUIRED) instead of guessing.
import { columnDecimal } from './cells.ts';
import { ALL_FORMATS_MASK, dateMask, DATE_FORMAT_LABELS, formatsOf } from './dates.ts';
import { detectLayout, isHeaderLike } from './layout.ts';
import {
  CSV_MAPPING_VERSION, type CsvColumnInfo, type CsvColumnRef, type CsvColumns, type CsvDateFormat, type CsvDecimal,
  type CsvDetection, type CsvMapping, type CsvOptions, type CsvProblem,
} from './options.ts';
import { columnStats, resolveRoles, rolesOfColumn, SINGLE_ROLES, STATS_SAMPLE_ROWS, type ResolvedRoles } from './roles.ts';
import { sniffDelimiter } from './sniff.ts';
import { isBlank, tokenize, type CsvRecord } from './tokenize.ts';

const MAX_COLUMNS = 500;
const DECIMAL_SAMPLE = 20_000;

export interface CsvAnalysis {
  detection: CsvDetection;
  header?: string[];
  /** Records after the header / preamble, blank ones included (row conversion reports them). */
  rows: CsvRecord[];
  roles: ResolvedRoles;
  dateFormat?: CsvDateFormat;
  /** undefined: each value decides by itself (amount.ts 'auto'). */
  decimal?: CsvDecimal;
}

function cell(r: CsvRecord, i: number | undefined): string {
  return i === undefined ? '' : (r.cells[i] ?? '').trim();
}

function dateFormatOf(rows: CsvRecord[], roles: ResolvedRoles): { mask: number; values: number; example?: string } {
  let mask = ALL_FORMATS_MASK;
  let values = 0;
  let example: string | undefined;
  for (const r of rows) {
    let v = cell(r, roles.date);
    if (v === '') v = cell(r, roles.valueDate);
    if (v === '') continue;
    const m = dateMask(v);
    if (m === 0) continue;
    values += 1;
    mask &= m;
    if (example === undefined) example = v;
  }
  return example !== undefined ? { mask, values, example } : { mask, values };
}

function valueDateMask(rows: CsvRecord[], col: number | undefined): number {
  if (col === undefined) return ALL_FORMATS_MASK;
  let mask = ALL_FORMATS_MASK;
  for (const r of rows) {
    const v = cell(r, col);
    if (v === '') continue;
    const m = dateMask(v);
    if (m !== 0) mask &= m;
  }
  return mask;
}

function refFor(i: number, header: string[] | undefined): CsvColumnRef {
  if (header === undefined) return i;
  const name = header[i]?.trim() ?? '';
  if (name === '') return i;
  const lower = name.toLowerCase();
  return header.filter((h) => h.trim().toLowerCase() === lower).length === 1 ? name : i;
}

function mappingColumns(roles: ResolvedRoles, header: string[] | undefined): CsvColumns {
  const cols: CsvColumns = {};
  for (const role of SINGLE_ROLES) {
    const i = roles[role];
    if (i !== undefined) cols[role] = refFor(i, header);
  }
  if (roles.payee.length > 0) cols.payee = roles.payee.length === 1 ? refFor(roles.payee[0] as number, header) : roles.payee.map((i) => refFor(i, header));
  if (roles.memo.length > 0) cols.memo = roles.memo.length === 1 ? refFor(roles.memo[0] as number, header) : roles.memo.map((i) => refFor(i, header));
  return cols;
}

function describe(i: number | undefined, header: string[] | undefined): string {
  if (i === undefined) return '?';
  const h = header?.[i]?.trim();
  return h ? `"${h}" (column ${i + 1})` : `column ${i + 1}`;
}

export function analyzeCsv(text: string, options: CsvOptions = {}): CsvAnalysis {
  const delimiter = options.delimiter ?? sniffDelimiter(text);
  const { records } = tokenize(text, delimiter, { strict: true });

  let headerIndex: number;
  let startIndex: number;
  if (options.skipRows !== undefined) {
    let first = records.findIndex((r) => r.line > (options.skipRows as number));
    if (first < 0) first = records.length;
    while (first < records.length && isBlank(records[first] as CsvRecord)) first += 1;
    const hasHeader = options.hasHeader ?? (first < records.length && isHeaderLike(records[first] as CsvRecord, records[first + 1]));
    headerIndex = hasHeader && first < records.length ? first : -1;
    startIndex = headerIndex >= 0 ? headerIndex + 1 : first;
  } else {
    ({ headerIndex, startIndex } = detectLayout(records, 0, options.hasHeader));
  }
  const headerRecord = headerIndex >= 0 ? (records[headerIndex] as CsvRecord) : undefined;
  const header = headerRecord?.cells.map((c) => c.trim());
  const rows = records.slice(startIndex);
  const dataRows = rows.filter((r) => !isBlank(r));

  let width = header?.length ?? 0;
  for (let k = 0; k < dataRows.length && k < STATS_SAMPLE_ROWS; k += 1) width = Math.max(width, (dataRows[k] as CsvRecord).cells.length);
  width = Math.min(width, MAX_COLUMNS);
  const { stats, sampled } = columnStats(dataRows, header, width);
  const roles = resolveRoles(stats, header, sampled, options.columns);

  const problems: CsvProblem[] = [];
  for (const m of roles.missing) {
    problems.push({
      kind: 'COLUMN_NOT_FOUND',
      message: typeof m.ref === 'number' ? `the mapping puts ${m.role} in column ${m.ref + 1}, which the file does not have` : `the mapping names column "${m.ref}" for ${m.role}, but the file has no such ${header ? 'header' : 'header row'}`,
      candidates: header ?? stats.map((s) => s.index),
    });
  }
  if (dataRows.length === 0) problems.push({ kind: 'NO_DATA_ROWS', message: 'the file has no data rows' });
  if (roles.date === undefined && !roles.missing.some((m) => m.role === 'date')) {
    problems.push({ kind: 'NO_DATE_COLUMN', message: 'no column holds dates', candidates: stats.map((s) => s.index) });
  }
  if (roles.debitCreditUnknown !== undefined) {
    const [x, y] = roles.debitCreditUnknown;
    problems.push({
      kind: 'AMBIGUOUS_DEBIT_CREDIT',
      message: `${describe(x, header)} and ${describe(y, header)} look like a debit/credit pair (each row fills one), but nothing says which is which`,
      candidates: [x, y],
    });
  } else if (roles.amount === undefined && (roles.debit === undefined || roles.credit === undefined) && !roles.missing.some((m) => m.role === 'amount' || m.role === 'debit' || m.role === 'credit')) {
    problems.push({ kind: 'NO_AMOUNT_COLUMN', message: 'no column holds amounts (or a debit and a credit column)', candidates: stats.map((s) => s.index) });
  }

  let dateFormat: CsvDateFormat | undefined = options.dateFormat;
  let dateFormatCandidates: CsvDateFormat[] = [];
  if (roles.date !== undefined) {
    const f = dateFormatOf(rows, roles);
    dateFormatCandidates = f.values > 0 ? formatsOf(f.mask) : [];
    if (dateFormatCandidates.length > 1) {
      // A value-date column written the same way can settle it (a day > 12 there).
      const both = formatsOf(f.mask & valueDateMask(rows, roles.valueDate));
      if (both.length >= 1) dateFormatCandidates = both;
    }
    if (dateFormat === undefined) {
      if (dateFormatCandidates.length === 1) dateFormat = dateFormatCandidates[0];
      else if (dateFormatCandidates.length > 1) {
        problems.push({
          kind: 'AMBIGUOUS_DATE_FORMAT',
          message: `dates in ${describe(roles.date, header)} such as "${f.example}" fit ${dateFormatCandidates.map((c) => DATE_FORMAT_LABELS[c]).join(' and ')}`,
          candidates: dateFormatCandidates,
        });
      } else {
        problems.push({
          kind: 'UNKNOWN_DATE_FORMAT',
          message: f.values > 0 ? `the dates in ${describe(roles.date, header)} do not all follow one format` : `${describe(roles.date, header)} holds no readable dates`,
          candidates: ['YMD', 'DMY', 'MDY', 'YYYYMMDD'],
        });
      }
    }
  }

  let decimal: CsvDecimal | undefined = options.decimal;
  if (decimal === undefined) {
    const cols = [roles.amount, roles.debit, roles.credit, roles.balance].filter((c): c is number => c !== undefined);
    const values: string[] = [];
    // A large sample decides as well as every row would, at a fraction of the cost on 100k-row files.
    for (const r of rows) {
      for (const c of cols) {
        const v = cell(r, c);
        if (v !== '') values.push(v);
      }
      if (values.length >= DECIMAL_SAMPLE) break;
    }
    const d = columnDecimal(values);
    if (d === 'tie') problems.push({ kind: 'AMBIGUOUS_DECIMAL', message: 'the amounts use both "." and "," as decimal separator', candidates: ['.', ','] });
    else decimal = d;
  }

  if (roles.account !== undefined) {
    const accounts = new Set<string>();
    for (const r of dataRows) {
      const v = cell(r, roles.account);
      if (v !== '') accounts.add(v);
      if (accounts.size > 50) break;
    }
    if (accounts.size > 50 || (accounts.size > 5 && accounts.size > dataRows.length / 10)) {
      // Many distinct values: a counterparty account column (Sparkasse's "Kontonummer"), not the file's own account.
      if (options.columns?.account === undefined) delete roles.account;
    } else if (accounts.size > 1 && options.account === undefined) {
      problems.push({
        kind: 'MULTIPLE_ACCOUNTS',
        message: `the file holds rows for ${accounts.size > 50 ? 'more than 50' : accounts.size} accounts in ${describe(roles.account, header)}; choose the one to import`,
        candidates: [...accounts].slice(0, 50),
      });
    }
  } else if (options.account !== undefined) {
    problems.push({ kind: 'COLUMN_NOT_FOUND', message: `rows are to be filtered to account "${options.account}", but no account column was found`, candidates: stats.map((s) => s.index) });
  }

  const columns: CsvColumnInfo[] = stats.map((s) => {
    const info: CsvColumnInfo = { index: s.index, samples: s.samples };
    if (s.header !== undefined) info.header = s.header;
    const role = rolesOfColumn(roles, s.index);
    if (role !== undefined) info.role = role;
    return info;
  });
  const detectionRoles: CsvDetection['roles'] = {};
  for (const role of SINGLE_ROLES) if (roles[role] !== undefined) (detectionRoles as Record<string, number>)[role] = roles[role] as number;
  if (roles.payee.length > 0) detectionRoles.payee = [...roles.payee];
  if (roles.memo.length > 0) detectionRoles.memo = [...roles.memo];

  const firstLine = headerRecord?.line ?? rows.find((r) => !isBlank(r))?.line ?? 1;
  const detection: CsvDetection = {
    delimiter,
    hasHeader: header !== undefined,
    skipRows: options.skipRows ?? firstLine - 1,
    dateFormatCandidates,
    columns,
    roles: detectionRoles,
    amountSign: options.amountSign ?? 'normal',
    dataRows: dataRows.length,
    problems,
  };
  if (headerRecord !== undefined) detection.headerLine = headerRecord.line;
  if (decimal !== undefined) detection.decimal = decimal;
  if (dateFormat !== undefined) detection.dateFormat = dateFormat;
  if (problems.length > 0) detection.question = questionFor(problems);
  else {
    const mapping: CsvMapping = { version: CSV_MAPPING_VERSION, delimiter, hasHeader: header !== undefined, columns: mappingColumns(roles, header), amountSign: detection.amountSign };
    if (options.skipRows !== undefined) mapping.skipRows = options.skipRows;
    if (decimal !== undefined) mapping.decimal = decimal;
    if (dateFormat !== undefined) mapping.dateFormat = dateFormat;
    if (options.directionValues !== undefined) mapping.directionValues = options.directionValues;
    if (options.pendingValues !== undefined) mapping.pendingValues = options.pendingValues;
    if (options.currency !== undefined) mapping.currency = options.currency;
    if (options.account !== undefined) mapping.account = options.account;
    if (header !== undefined) mapping.headerSignature = header.map((h) => h.toLowerCase()).join('|');
    detection.mapping = mapping;
  }
  const out: CsvAnalysis = { detection, rows, roles };
  if (header !== undefined) out.header = header;
  if (dateFormat !== undefined) out.dateFormat = dateFormat;
  if (decimal !== undefined) out.decimal = decimal;
  return out;
}

function questionFor(problems: CsvProblem[]): string {
  const asks: string[] = [];
  for (const p of problems) {
    switch (p.kind) {
      case 'AMBIGUOUS_DATE_FORMAT':
        asks.push(`Which date format does the file use: ${(p.candidates ?? []).map((c) => DATE_FORMAT_LABELS[c as CsvDateFormat] ?? String(c)).join(' or ')}?`);
        break;
      case 'UNKNOWN_DATE_FORMAT':
        asks.push('Which column holds the date, and in which format (YMD, DMY, MDY or YYYYMMDD)?');
        break;
      case 'NO_DATE_COLUMN':
        asks.push('Which column holds the transaction date?');
        break;
      case 'NO_AMOUNT_COLUMN':
        asks.push('Which column holds the amount (or which two hold debit and credit)?');
        break;
      case 'AMBIGUOUS_DEBIT_CREDIT':
        asks.push(`Which of columns ${(p.candidates ?? []).map((c) => Number(c) + 1).join(' and ')} holds money out (debit) and which money in (credit)?`);
        break;
      case 'AMBIGUOUS_DECIMAL':
        asks.push('Is the decimal separator "." or ","?');
        break;
      case 'MULTIPLE_ACCOUNTS':
        asks.push('Which account\'s rows should be imported?');
        break;
      case 'COLUMN_NOT_FOUND':
        asks.push(`Please correct the column mapping: ${p.message}.`);
        break;
      case 'NO_DATA_ROWS':
        asks.push('The file has no rows to import; is it the right file?');
        break;
    }
  }
  return asks.join(' ');
}
