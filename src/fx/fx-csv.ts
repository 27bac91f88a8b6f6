// Exchange-rate CSV files: a header row naming the columns, then one rate a
// line. Parsing is all-or-nothing: every problem is reported with its line
// number and nothing is written unless the whole file is good.
import { isCurrencyCode } from '../money/currencies.ts';
import { MoneyFormatError } from '../money/money.ts';
import { AppError, type FieldProblem } from '../shared/app-error.ts';
import { isCalendarDate } from '../shared/ids.ts';
import { normalizeRate } from './fx-math.ts';

export interface RateInput {
  fromCurrency: string;
  toCurrency: string;
  rateDate: string;
  rate: string;
  source?: string | undefined;
}

export interface CsvRate extends RateInput {
  line: number;
  rate: string;
}

export const MAX_CSV_LINES = 100_000;
const MAX_PROBLEMS = 20;

const COLUMN_NAMES: Record<string, 'date' | 'from' | 'to' | 'rate' | 'source'> = {
  date: 'date', rate_date: 'date', day: 'date',
  from: 'from', from_currency: 'from', base: 'from',
  to: 'to', to_currency: 'to', quote: 'to',
  rate: 'rate',
  source: 'source',
};

function cells(line: string): string[] {
  // Plain comma-separated cells; a cell may be wrapped in double quotes (no commas inside rates or codes).
  return line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1').trim());
}

/**
 * Parses `date,from,to,rate[,source]` (columns in any order, names case-insensitive:
 * date|rate_date, from|from_currency|base, to|to_currency|quote, rate, source).
 * Throws VALIDATION_FAILED listing up to 20 problems, each naming its line.
 */
export function parseRatesCsv(text: string, field = '/body/csv'): CsvRate[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const problems: FieldProblem[] = [];
  let total = 0;
  const fail = (line: number, message: string) => {
    total++;
    if (problems.length < MAX_PROBLEMS) problems.push({ field, message: `line ${line}: ${message}` });
  };
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) throw new AppError('VALIDATION_FAILED', 'the CSV file is empty; expected a header line "date,from,to,rate"', { errors: [{ field, message: 'empty file' }] });
  const header = cells(lines[headerIndex]!).map((h) => h.toLowerCase());
  const col: Partial<Record<'date' | 'from' | 'to' | 'rate' | 'source', number>> = {};
  header.forEach((h, i) => {
    const name = COLUMN_NAMES[h];
    if (!name) fail(headerIndex + 1, `unknown column "${h}" (expected date, from, to, rate and optionally source)`);
    else if (col[name] !== undefined) fail(headerIndex + 1, `column "${h}" appears twice`);
    else col[name] = i;
  });
  for (const need of ['date', 'from', 'to', 'rate'] as const) if (col[need] === undefined) fail(headerIndex + 1, `the header has no "${need}" column (expected a header line "date,from,to,rate")`);
  if (problems.length) throw problemsError(problems, total);
  if (lines.length - headerIndex - 1 > MAX_CSV_LINES) throw new AppError('VALIDATION_FAILED', `the CSV file has more than ${MAX_CSV_LINES} lines; split it`, { errors: [{ field, message: `more than ${MAX_CSV_LINES} lines` }] });

  const out: CsvRate[] = [];
  const seen = new Map<string, number>();
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const n = i + 1;
    const c = cells(raw);
    if (c.length !== header.length) {
      fail(n, `has ${c.length} cells but the header has ${header.length}`);
      continue;
    }
    const date = c[col.date!]!;
    const from = c[col.from!]!.toUpperCase();
    const to = c[col.to!]!.toUpperCase();
    const rateText = c[col.rate!]!;
    const source = col.source !== undefined ? c[col.source]! : undefined;
    let ok = true;
    if (!isCalendarDate(date)) {
      ok = false;
      fail(n, `date "${date}" is not a calendar date YYYY-MM-DD`);
    }
    if (!isCurrencyCode(from)) {
      ok = false;
      fail(n, `from "${c[col.from!]}" is not an ISO 4217 currency code`);
    }
    if (!isCurrencyCode(to)) {
      ok = false;
      fail(n, `to "${c[col.to!]}" is not an ISO 4217 currency code`);
    }
    if (ok && from === to) {
      ok = false;
      fail(n, `from and to are both ${from}`);
    }
    let rate = '';
    try {
      rate = normalizeRate(rateText);
    } catch (e) {
      if (!(e instanceof MoneyFormatError)) throw e;
      ok = false;
      fail(n, `rate: ${e.message}`);
    }
    if (source !== undefined && source.length > 100) {
      ok = false;
      fail(n, 'source is longer than 100 characters');
    }
    if (!ok) continue;
    const key = `${from}>${to}@${date}`;
    const first = seen.get(key);
    if (first !== undefined) {
      fail(n, `repeats the ${from}→${to} rate for ${date} given on line ${first}`);
      continue;
    }
    seen.set(key, n);
    out.push({ line: n, fromCurrency: from, toCurrency: to, rateDate: date, rate, source: source || undefined });
  }
  if (problems.length) throw problemsError(problems, total);
  if (out.length === 0) throw new AppError('VALIDATION_FAILED', 'the CSV file has a header but no rates', { errors: [{ field, message: 'no rate lines' }] });
  return out;
}

function problemsError(problems: FieldProblem[], total: number): AppError {
  const more = total > problems.length ? ` (and ${total - problems.length} more problems not listed)` : total > 1 ? ` (and ${total - 1} more)` : '';
  return new AppError('VALIDATION_FAILED', `exchange-rate CSV: ${problems[0]!.message}${more}`, { errors: problems });
}
