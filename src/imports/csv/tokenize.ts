// RFC 4180 record reader, linear in the input: quoted fields with doubled
// quotes and embedded line breaks, any of \n, \r\n, \r\r\n (some banks) or a
// lone \r as the line break. Every record carries the 1-based physical line
// it starts on, counted the same way (a run of \r before \n is one break).
import { ImportError } from '../errors.ts';

export interface CsvRecord {
  /** 1-based physical line where the record starts. */
  line: number;
  cells: string[];
}

export interface TokenizeOptions {
  /**
   * Strict mode throws MALFORMED_FILE on broken quoting (text after a closing
   * quote, a quote opened after leading spaces, an unterminated quote).
   * Lenient mode (used to sniff delimiters) stops at the first such problem
   * and reports it instead.
   */
  strict: boolean;
  /** Stop after this many characters of input (sniffing a sample). */
  maxChars?: number;
  /** Stop after this many records. */
  maxRecords?: number;
}

export interface TokenizeResult {
  records: CsvRecord[];
  /** Lenient mode only: the first quoting problem met (reading stopped there). */
  problem?: { line: number; column: number; message: string };
}

const QUOTE = 34;
const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;

function malformed(line: number, column: number, message: string): ImportError {
  return new ImportError('MALFORMED_FILE', `CSV line ${line}, column ${column}: ${message}`, {
    line,
    expected: 'RFC 4180 quoting: a quoted field starts with " right after the delimiter and ends with " before the next delimiter or line end',
    details: { column },
  });
}

export function tokenize(text: string, delimiter: string, opts: TokenizeOptions): TokenizeResult {
  const d = delimiter.charCodeAt(0);
  const end = Math.min(text.length, opts.maxChars ?? text.length);
  const maxRecords = opts.maxRecords ?? Number.POSITIVE_INFINITY;
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let cells: string[] = [];
  let recordLine = 1;
  let column = 1; // 1-based cell index within the record, for messages

  const fail = (message: string): TokenizeResult => {
    if (opts.strict) throw malformed(line, column, message);
    return { records, problem: { line, column, message } };
  };
  // End of the current run of CRs known not to be followed by LF: each CR in it is its own
  // line break. Remembered so a long run is scanned once, not once per CR.
  let loneCrUntil = -1;
  // Consumes a line break at `at` (if any); returns the index after it, or -1 when `at` is not a break.
  const lineBreak = (at: number): number => {
    const c = text.charCodeAt(at);
    if (c === LF) return at + 1;
    if (c !== CR) return -1;
    if (at < loneCrUntil) return at + 1;
    let j = at;
    while (j < end && text.charCodeAt(j) === CR) j += 1;
    if (j < end && text.charCodeAt(j) === LF) return j + 1;
    loneCrUntil = j;
    return at + 1;
  };

  while (i < end && records.length < maxRecords) {
    // At the start of a field.
    let c = text.charCodeAt(i);
    if (c === QUOTE) {
      let value = '';
      let k = i + 1;
      let seg = k;
      let closed = false;
      while (k < end) {
        const ch = text.charCodeAt(k);
        if (ch === QUOTE) {
          if (k + 1 < end && text.charCodeAt(k + 1) === QUOTE) {
            value += text.slice(seg, k + 1);
            k += 2;
            seg = k;
            continue;
          }
          value += text.slice(seg, k);
          i = k + 1;
          closed = true;
          break;
        }
        if (ch === LF) line += 1;
        else if (ch === CR) {
          // Same rule as between records: CRs before an LF are part of that one break.
          let j = k;
          while (j < end && text.charCodeAt(j) === CR) j += 1;
          if (j < end && text.charCodeAt(j) === LF) {
            k = j;
            continue;
          }
          line += j - k;
          k = j;
          continue;
        }
        k += 1;
      }
      if (!closed) {
        if (opts.maxChars !== undefined && end < text.length) break; // sample cut inside a quoted field
        return fail('a quoted field is never closed (missing ")');
      }
      // Spaces between a closing quote and the delimiter are tolerated.
      while (i < end && (text.charCodeAt(i) === SPACE || (text.charCodeAt(i) === TAB && d !== TAB))) i += 1;
      cells.push(value);
      if (i >= end) break;
      c = text.charCodeAt(i);
      if (c === d) {
        i += 1;
        column += 1;
        if (i >= end) cells.push('');
        continue;
      }
      const after = lineBreak(i);
      if (after < 0) return fail(`unexpected text after a closing quote: ${JSON.stringify(text.slice(i, i + 20))}`);
      records.push({ line: recordLine, cells });
      cells = [];
      i = after;
      line += 1;
      recordLine = line;
      column = 1;
      continue;
    }
    // Unquoted field: up to the next delimiter or line break.
    let k = i;
    while (k < end) {
      const ch = text.charCodeAt(k);
      if (ch === d || ch === LF || ch === CR) break;
      k += 1;
    }
    let value = text.slice(i, k);
    // A record whose opening quote got lost ('NL77RABO…","EUR",…' in Rabobank exports): drop the lone closing quote.
    if (cells.length === 0 && value.length > 1 && value.charCodeAt(value.length - 1) === QUOTE && value.indexOf('"') === value.length - 1) {
      value = value.slice(0, -1);
    }
    if (value.length > 0 && value.charCodeAt(0) !== QUOTE) {
      let s = 0;
      while (s < value.length && (value.charCodeAt(s) === SPACE || value.charCodeAt(s) === TAB)) s += 1;
      if (s > 0 && s < value.length && value.charCodeAt(s) === QUOTE) {
        return fail('a quote opens after spaces (write the delimiter directly before the opening ")');
      }
    }
    cells.push(value);
    i = k;
    if (i >= end) break;
    if (text.charCodeAt(i) === d) {
      i += 1;
      column += 1;
      if (i >= end) cells.push('');
      continue;
    }
    records.push({ line: recordLine, cells });
    cells = [];
    i = lineBreak(i);
    line += 1;
    recordLine = line;
    column = 1;
  }
  if (cells.length > 0 && records.length < maxRecords) records.push({ line: recordLine, cells });
  return { records };
}

/** A record is blank when every cell is empty or whitespace. */
export function isBlank(r: CsvRecord): boolean {
  for (const c of r.cells) if (c.trim() !== '') return false;
  return true;
}
