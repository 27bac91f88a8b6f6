// Column roles: the caller's mapping first, then header names (headers.ts),
// then content, each guess checked against what the column holds (a "Valuta"
// column is a value date in German and a currency in Dutch: the dates or
// currency codes in it decide).
import { dateMask } from './dates.ts';
import { directionOf, isAccountLike, isAmountLike, isCurrencyCell } from './cells.ts';
import { headerScore, foldHeader, type HeaderRole } from './headers.ts';
import type { CsvColumnRef, CsvColumns, CsvRole } from './options.ts';
import type { CsvRecord } from './tokenize.ts';

export const STATS_SAMPLE_ROWS = 1000;

export interface ColumnStats {
  index: number;
  header?: string;
  nonEmpty: number;
  dateLike: number;
  amountLike: number;
  negatives: number;
  withSeparator: number;
  longDigits: number;
  currencyLike: number;
  directionLike: number;
  accountLike: number;
  withLetters: number;
  totalLength: number;
  samples: string[];
}

export function columnStats(rows: CsvRecord[], header: string[] | undefined, width: number): { stats: ColumnStats[]; sampled: number } {
  const stats: ColumnStats[] = [];
  for (let i = 0; i < width; i += 1) {
    const s: ColumnStats = {
      index: i, nonEmpty: 0, dateLike: 0, amountLike: 0, negatives: 0, withSeparator: 0, longDigits: 0,
      currencyLike: 0, directionLike: 0, accountLike: 0, withLetters: 0, totalLength: 0, samples: [],
    };
    const h = header?.[i]?.trim();
    if (h) s.header = h;
    stats.push(s);
  }
  let seen = 0;
  for (let r = 0; r < rows.length && seen < STATS_SAMPLE_ROWS; r += 1) {
    const cells = (rows[r] as CsvRecord).cells;
    // Rows with one filled cell (disclaimers, "Date downloaded …" footers, titles) cannot be transactions.
    if (filledCells(cells) < 2) continue;
    seen += 1;
    for (let i = 0; i < width && i < cells.length; i += 1) {
      const v = (cells[i] as string).trim();
      if (v === '') continue;
      const s = stats[i] as ColumnStats;
      s.nonEmpty += 1;
      s.totalLength += v.length;
      if (s.samples.length < 5) s.samples.push(v.length > 60 ? `${v.slice(0, 60)}…` : v);
      if (dateMask(v) !== 0) s.dateLike += 1;
      if (isAmountLike(v)) {
        s.amountLike += 1;
        if (/^[^\d]*[-\u2212(]/.test(v) || /[-)]\s*$/.test(v) || /\bDR\b/i.test(v)) s.negatives += 1;
        if (/\d[.,]\d/.test(v)) s.withSeparator += 1;
        if (/^\d{7,}$/.test(v)) s.longDigits += 1;
      }
      if (isCurrencyCell(v)) s.currencyLike += 1;
      if (directionOf(v) !== undefined) s.directionLike += 1;
      if (isAccountLike(v)) s.accountLike += 1;
      if (/\p{L}{2}/u.test(v)) s.withLetters += 1;
    }
  }
  return { stats, sampled: seen };
}

export function filledCells(cells: string[]): number {
  let n = 0;
  for (const c of cells) if (c.trim() !== '') n += 1;
  return n;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Does the column's content fit the role? */
export function contentFits(s: ColumnStats, role: HeaderRole, rows: number, byHeader = true): boolean {
  switch (role) {
    case 'date':
    case 'valueDate':
      // A column named like a date may also hold "Pending" or footer notes; one found by content alone must be mostly dates.
      return s.dateLike > 0 && ratio(s.dateLike, s.nonEmpty) >= (byHeader ? 0.3 : 0.6);
    // Named amount columns need only most values readable: one bad value must surface as
    // MALFORMED_FILE on its line, not hide the column.
    case 'amount':
    case 'balance':
      return s.nonEmpty > 0 && ratio(s.amountLike, s.nonEmpty) >= (byHeader ? 0.5 : 0.8);
    case 'debit':
    case 'credit':
      return s.nonEmpty === 0 ? rows > 0 : ratio(s.amountLike, s.nonEmpty) >= (byHeader ? 0.5 : 0.8);
    case 'currency':
      return s.nonEmpty > 0 && ratio(s.currencyLike, s.nonEmpty) >= 0.8;
    case 'direction':
      return s.nonEmpty > 0 && ratio(s.directionLike, s.nonEmpty) >= 0.9;
    case 'account':
      return s.nonEmpty > 0;
    default:
      return true;
  }
}

export interface ResolvedRoles {
  date?: number;
  valueDate?: number;
  amount?: number;
  debit?: number;
  credit?: number;
  direction?: number;
  payee: number[];
  memo: number[];
  reference?: number;
  checkNumber?: number;
  balance?: number;
  status?: number;
  currency?: number;
  account?: number;
  /** Two amount columns where each row fills one: a debit/credit pair, but nothing says which is which. */
  debitCreditUnknown?: [number, number];
  /** Column refs of the caller's mapping that match no column. */
  missing: Array<{ role: CsvRole; ref: CsvColumnRef }>;
}

function refIndex(ref: CsvColumnRef, header: string[] | undefined, width: number): number | undefined {
  if (typeof ref === 'number') return Number.isInteger(ref) && ref >= 0 && ref < Math.max(width, 1) ? ref : undefined;
  if (header === undefined) return undefined;
  const want = ref.trim().toLowerCase();
  let i = header.findIndex((h) => h.trim().toLowerCase() === want);
  if (i < 0) {
    const folded = foldHeader(ref);
    i = header.findIndex((h) => foldHeader(h) === folded);
  }
  return i >= 0 ? i : undefined;
}

const SINGLE_ROLES = ['date', 'valueDate', 'amount', 'debit', 'credit', 'direction', 'reference', 'checkNumber', 'balance', 'status', 'currency', 'account'] as const;
type SingleRole = (typeof SINGLE_ROLES)[number];

// Guessing order: a column taken by an earlier role is not offered to later ones.
const GUESS_ORDER: HeaderRole[] = [
  'date', 'valueDate', 'amount', 'debit', 'credit', 'direction', 'balance', 'currency', 'account', 'reference',
  'checkNumber', 'status', 'payee', 'description', 'memo',
];

export function resolveRoles(stats: ColumnStats[], header: string[] | undefined, rows: number, user: CsvColumns | undefined): ResolvedRoles {
  const width = stats.length;
  const out: ResolvedRoles = { payee: [], memo: [], missing: [] };
  const taken = new Set<number>();
  const given = new Set<string>();

  // 1. The caller's mapping.
  if (user !== undefined) {
    for (const role of SINGLE_ROLES) {
      const ref = user[role];
      if (ref === undefined) continue;
      given.add(role);
      const i = refIndex(ref, header, width);
      if (i === undefined) out.missing.push({ role, ref });
      else {
        out[role] = i;
        taken.add(i);
      }
    }
    for (const role of ['payee', 'memo'] as const) {
      const ref = user[role];
      if (ref === undefined) continue;
      given.add(role);
      for (const r of Array.isArray(ref) ? ref : [ref]) {
        const i = refIndex(r, header, width);
        if (i === undefined) out.missing.push({ role, ref: r });
        else {
          out[role].push(i);
          taken.add(i);
        }
      }
    }
  }
  const amountGiven = given.has('amount') || given.has('debit') || given.has('credit');
  const textGiven = given.has('payee') || given.has('memo');

  // 2. Header names, checked against content.
  const descriptions: number[] = [];
  if (header !== undefined) {
    for (const role of GUESS_ORDER) {
      if (given.has(role)) continue;
      if ((role === 'amount' || role === 'debit' || role === 'credit') && amountGiven) continue;
      if ((role === 'payee' || role === 'memo' || role === 'description') && textGiven) continue;
      if ((role === 'debit' || role === 'credit') && out.amount !== undefined) continue;
      if (role === 'direction' && out.amount === undefined) continue;
      const scored: Array<{ i: number; score: number }> = [];
      for (const s of stats) {
        if (taken.has(s.index)) continue;
        const score = headerScore(header[s.index] ?? '', role);
        if (score > 0 && contentFits(s, role, rows)) scored.push({ i: s.index, score });
      }
      if (scored.length === 0) continue;
      if (role === 'memo' || role === 'description') {
        for (const c of scored.sort((a, b) => a.i - b.i)) {
          (role === 'memo' ? out.memo : descriptions).push(c.i);
          taken.add(c.i);
        }
        continue;
      }
      scored.sort((a, b) => b.score - a.score || a.i - b.i);
      const pick = (scored[0] as { i: number }).i;
      taken.add(pick);
      if (role === 'payee') out.payee.push(pick);
      else out[role as SingleRole] = pick;
    }
    // Debit and credit only make sense as a pair.
    if ((out.debit === undefined) !== (out.credit === undefined) && !amountGiven) {
      for (const role of ['debit', 'credit'] as const) {
        const i = out[role];
        if (i !== undefined) taken.delete(i);
        delete out[role];
      }
    }
    if (!textGiven) {
      if (out.payee.length === 0 && descriptions.length > 0) out.payee.push(descriptions.shift() as number);
      out.memo = [...descriptions, ...out.memo].sort((a, b) => a - b);
    }
  }

  // 3. Content alone, for what headers did not settle.
  const free = (s: ColumnStats): boolean => !taken.has(s.index);
  if (out.date === undefined && !given.has('date')) {
    const dates = stats.filter((s) => free(s) && contentFits(s, 'date', rows, false));
    // Most dates first; equal counts keep file order (booking date before value date).
    dates.sort((x, y) => y.dateLike - x.dateLike || x.index - y.index);
    if (dates[0] !== undefined) {
      out.date = dates[0].index;
      taken.add(dates[0].index);
      if (header === undefined && out.valueDate === undefined && dates[1] !== undefined) {
        out.valueDate = dates[1].index;
        taken.add(dates[1].index);
      }
    }
  }
  if (out.amount === undefined && out.debit === undefined && !amountGiven) {
    const pair = complementaryPair(stats, rows, free);
    if (pair !== undefined) out.debitCreditUnknown = pair;
  }
  if (out.amount === undefined && out.debit === undefined && out.debitCreditUnknown === undefined && !amountGiven) {
    let best: { i: number; score: number } | undefined;
    for (const s of stats) {
      if (!free(s) || s.nonEmpty === 0 || !contentFits(s, 'amount', rows) || s.longDigits > s.nonEmpty / 2) continue;
      const score = (s.negatives > 0 && s.negatives < s.nonEmpty ? 2 : s.negatives > 0 ? 1 : 0) + (ratio(s.withSeparator, s.nonEmpty) >= 0.5 ? 1 : 0);
      if (score >= 1 && (best === undefined || score > best.score)) best = { i: s.index, score };
    }
    if (best !== undefined) {
      out.amount = best.i;
      taken.add(best.i);
    }
  }
  if (header === undefined) {
    for (const s of stats) {
      if (!free(s) || s.nonEmpty === 0) continue;
      if (out.currency === undefined && !given.has('currency') && ratio(s.currencyLike, s.nonEmpty) >= 0.9) {
        out.currency = s.index;
        taken.add(s.index);
      } else if (out.account === undefined && !given.has('account') && s.index < 3 && ratio(s.accountLike, s.nonEmpty) >= 0.9) {
        out.account = s.index;
        taken.add(s.index);
      } else if (out.direction === undefined && out.amount !== undefined && !given.has('direction') && ratio(s.directionLike, s.nonEmpty) >= 0.95 && s.totalLength / s.nonEmpty <= 8) {
        out.direction = s.index;
        taken.add(s.index);
      }
    }
    if (!textGiven) {
      for (const s of stats) {
        if (!free(s) || s.nonEmpty === 0) continue;
        const text = ratio(s.withLetters, s.nonEmpty) >= 0.5 && s.totalLength / s.nonEmpty >= 4 && s.accountLike < s.nonEmpty / 2 && s.dateLike < s.nonEmpty / 2;
        if (text) {
          out.memo.push(s.index);
          taken.add(s.index);
        }
      }
    }
  }
  return out;
}

/** Adjacent amount columns of which (nearly) every row fills exactly one. */
function complementaryPair(stats: ColumnStats[], rows: number, free: (s: ColumnStats) => boolean): [number, number] | undefined {
  const amountCols = stats.filter((s) => free(s) && s.nonEmpty > 0 && s.longDigits === 0 && ratio(s.amountLike, s.nonEmpty) >= 0.8);
  for (let k = 0; k + 1 < amountCols.length; k += 1) {
    const a = amountCols[k] as ColumnStats;
    const b = amountCols[k + 1] as ColumnStats;
    if (b.index !== a.index + 1) continue;
    if (a.nonEmpty + b.nonEmpty >= rows * 0.9 && a.nonEmpty + b.nonEmpty <= rows && a.nonEmpty < rows * 0.95 && b.nonEmpty < rows * 0.95) return [a.index, b.index];
  }
  return undefined;
}

export function rolesOfColumn(r: ResolvedRoles, index: number): CsvRole | undefined {
  for (const role of SINGLE_ROLES) if (r[role] === index) return role;
  if (r.payee.includes(index)) return 'payee';
  if (r.memo.includes(index)) return 'memo';
  return undefined;
}

export { SINGLE_ROLES };
