// Compares parsed Statements with a corpus file's facts (corpus-facts.ts) and
// returns every mismatch as a readable line; an empty list means the file
// matches. Pure: no database, no I/O.
import { isCurrencyCode, parseDecimal } from '../../src/money/money.ts';
import type { Statement, StatementTransaction } from '../../src/imports/statement.ts';
import type { AccountFacts, BalanceFact, FileFacts, RowFact } from './corpus-facts.ts';

/** Whitespace runs collapse to one space and ends are trimmed: banks pad fields, parsers may tidy them. */
export const norm = (s: string | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();

export function toMinor(amount: string, currency: string): bigint {
  if (!isCurrencyCode(currency)) throw new Error(`facts use unknown currency ${currency}`);
  return parseDecimal(amount, currency, 'half-up');
}

/** Transactions the facts count: all, or only non-zero ones when the source drops zero rows. */
export function countedTransactions(s: Statement, f: FileFacts): StatementTransaction[] {
  return f.countExcludesZero ? s.transactions.filter((t) => t.amountMinor !== 0n) : s.transactions;
}

const show = (t: StatementTransaction): string =>
  JSON.stringify({ line: t.sourceLine, postedOn: t.postedOn, amountMinor: t.amountMinor.toString(), payee: t.payee, memo: t.memo, bankId: t.bankId, checkNumber: t.checkNumber, kind: t.kind });

/** Names of the fields of `r` that `t` does not satisfy. */
function rowMismatches(t: StatementTransaction, r: RowFact, currency: string): string[] {
  const bad: string[] = [];
  if (r.date !== undefined && t.postedOn !== r.date && !(r.valueDate !== undefined && t.postedOn === r.valueDate)) bad.push(`date ${r.date}${r.valueDate ? ` or ${r.valueDate}` : ''}`);
  if (r.amount !== undefined && t.amountMinor !== toMinor(r.amount, currency)) bad.push(`amount ${r.amount}`);
  if (r.payee !== undefined && norm(t.payee) !== norm(r.payee)) bad.push(`payee "${r.payee}"`);
  if (r.memo !== undefined && norm(t.memo) !== norm(r.memo)) bad.push(`memo "${r.memo}"`);
  if (r.text !== undefined && !norm(t.payee).includes(norm(r.text)) && !norm(t.memo).includes(norm(r.text))) bad.push(`text "${r.text}"`);
  if (r.bankId !== undefined && t.bankId !== r.bankId) bad.push(`bankId "${r.bankId}"`);
  if (r.ref !== undefined && t.bankId !== r.ref && !norm(t.payee).includes(r.ref) && !norm(t.memo).includes(r.ref)) bad.push(`ref "${r.ref}"`);
  if (r.checkNumber !== undefined && t.checkNumber !== r.checkNumber) bad.push(`checkNumber "${r.checkNumber}"`);
  if (r.kind !== undefined && (t.kind ?? '').toUpperCase() !== r.kind.toUpperCase()) bad.push(`kind ${r.kind}`);
  return bad;
}

function checkRows(txs: StatementTransaction[], rows: RowFact[], currency: string, where: string): string[] {
  const problems: string[] = [];
  const used = new Set<number>();
  // Positional facts first, then the others against the remaining rows.
  for (const r of rows.filter((x) => x.at !== undefined)) {
    const t = txs[r.at!];
    if (!t) {
      problems.push(`${where}row [${r.at}] missing (only ${txs.length} transactions)`);
      continue;
    }
    used.add(r.at!);
    const bad = rowMismatches(t, r, currency);
    if (bad.length) problems.push(`${where}row [${r.at}] expected ${bad.join(', ')}; got ${show(t)}`);
  }
  for (const r of rows.filter((x) => x.at === undefined)) {
    let best: { i: number; bad: string[] } | undefined;
    for (let i = 0; i < txs.length; i++) {
      if (used.has(i)) continue;
      const bad = rowMismatches(txs[i]!, r, currency);
      if (!best || bad.length < best.bad.length) best = { i, bad };
      if (bad.length === 0) break;
    }
    if (best && best.bad.length === 0) {
      used.add(best.i);
    } else {
      const { at: _at, ...fact } = r;
      problems.push(`${where}no row matches ${JSON.stringify(fact)}${best ? `; closest ${show(txs[best.i]!)} differs in ${best.bad.join(', ')}` : ' (no transactions)'}`);
    }
  }
  return problems;
}

function checkBalance(s: Statement, b: BalanceFact, currency: string, where: string): string | undefined {
  const found = s.balances.filter((x) => x.kind === b.kind);
  if (found.length === 0) return `${where}no ${b.kind} balance (expected ${b.amount}); balances: ${JSON.stringify(s.balances, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`;
  const want = toMinor(b.amount, currency);
  const x = found.find((y) => y.amountMinor === want);
  if (!x) return `${where}${b.kind} balance ${found.map((y) => y.amountMinor.toString()).join('/')} minor, expected ${b.amount}`;
  if (b.date === null && x.date !== undefined) return `${where}${b.kind} balance has date ${x.date}; the file's date is invalid and must be dropped`;
  if (typeof b.date === 'string' && x.date !== b.date) return `${where}${b.kind} balance dated ${x.date ?? '(none)'}, expected ${b.date}`;
  return undefined;
}

export function checkAccountFacts(s: Statement, a: AccountFacts, f: FileFacts, where = ''): string[] {
  const p: string[] = [];
  const currency = s.account.currency ?? f.accountCurrency;
  if (a.accountId !== undefined && norm(s.account.accountId) !== a.accountId) p.push(`${where}accountId "${s.account.accountId}", expected "${a.accountId}"`);
  if (a.bankId !== undefined && norm(s.account.bankId) !== a.bankId) p.push(`${where}bankId "${s.account.bankId}", expected "${a.bankId}"`);
  if (a.type !== undefined && (s.account.type ?? '').toUpperCase() !== a.type.toUpperCase()) p.push(`${where}account type "${s.account.type}", expected "${a.type}"`);
  if (a.currency === null) {
    // The file states none: either no currency, or the caller's fallback with a warning saying so.
    if (s.account.currency !== undefined && !s.warnings.some((w) => /currenc/i.test(w))) p.push(`${where}currency ${s.account.currency} without a warning, but the file states none`);
  } else if (a.currency !== undefined && s.account.currency !== a.currency) {
    p.push(`${where}currency ${s.account.currency}, expected ${a.currency}`);
  }
  const txs = countedTransactions(s, f);
  if (a.count !== undefined && txs.length !== a.count) {
    p.push(`${where}${txs.length} transactions${f.countExcludesZero ? ' (non-zero)' : ''}, expected ${a.count}`);
  }
  for (const b of a.balances ?? []) {
    const e = checkBalance(s, b, currency, where);
    if (e) p.push(e);
  }
  for (const k of a.noBalances ?? []) {
    if (s.balances.some((x) => x.kind === k)) p.push(`${where}has a ${k} balance, but the file's is empty/absent`);
  }
  if (a.rows) p.push(...checkRows(s.transactions, a.rows, currency, where));
  if (a.sum !== undefined) {
    const sum = s.transactions.reduce((acc, t) => acc + t.amountMinor, 0n);
    if (sum !== toMinor(a.sum, currency)) p.push(`${where}sum of amounts ${sum} minor, expected ${a.sum}`);
  }
  if (a.dateRange) {
    const dates = txs.map((t) => t.postedOn).sort();
    if (a.dateRange.min !== undefined && dates[0] !== a.dateRange.min) p.push(`${where}earliest date ${dates[0]}, expected ${a.dateRange.min}`);
    if (a.dateRange.max !== undefined && dates[dates.length - 1] !== a.dateRange.max) p.push(`${where}latest date ${dates[dates.length - 1]}, expected ${a.dateRange.max}`);
  }
  if (a.period) {
    if (a.period.start !== undefined && s.period?.start !== a.period.start) p.push(`${where}period start ${s.period?.start}, expected ${a.period.start}`);
    if (a.period.end !== undefined && s.period?.end !== a.period.end) p.push(`${where}period end ${s.period?.end}, expected ${a.period.end}`);
  }
  return p;
}

/**
 * All facts of a file against its parse: `all` is every statement in the file
 * (parseStatements), `picked` the one the import flow takes (parseStatement).
 */
export function checkFileFacts(all: Statement[], picked: Statement, f: FileFacts): string[] {
  const p: string[] = [];
  if (!f.formats.includes(picked.format)) p.push(`format ${picked.format}, expected one of ${f.formats.join('/')}`);
  if (f.encodingUsed !== undefined && picked.encoding.used !== f.encodingUsed) p.push(`decoded as ${picked.encoding.used}, expected ${f.encodingUsed}`);
  for (const text of f.texts ?? []) {
    const n = norm(text);
    if (!all.some((s) => s.transactions.some((t) => norm(t.payee).includes(n) || norm(t.memo).includes(n)))) p.push(`no payee or memo contains "${text}"`);
  }
  p.push(...checkAccountFacts(picked, f, f));
  if (f.statements) {
    if (all.length !== f.statements.length) p.push(`${all.length} statements, expected ${f.statements.length}`);
    f.statements.forEach((a, i) => {
      const s = all[i];
      if (s) p.push(...checkAccountFacts(s, a, f, `statement ${i + 1}: `));
    });
  }
  return p;
}

/** Structural invariants every returned Statement must satisfy (shared with the fuzz tests). */
export function statementProblems(s: Statement): string[] {
  const p: string[] = [];
  const MAX = 9_007_199_254_740_991n;
  const validDate = (d: string) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) return false;
    const [y, m, day] = d.split('-').map(Number) as [number, number, number];
    const dt = new Date(Date.UTC(y, m - 1, day));
    return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === day;
  };
  if (!Array.isArray(s.transactions) || !Array.isArray(s.balances) || !Array.isArray(s.warnings)) return ['statement lacks transactions/balances/warnings arrays'];
  s.transactions.forEach((t, i) => {
    if (typeof t.amountMinor !== 'bigint' || t.amountMinor > MAX || t.amountMinor < -MAX) p.push(`transaction ${i}: amount ${String(t.amountMinor)} out of range or not a bigint`);
    if (typeof t.postedOn !== 'string' || !validDate(t.postedOn)) p.push(`transaction ${i}: postedOn ${String(t.postedOn)} is not a calendar date`);
    if (!Number.isInteger(t.sourceLine) || t.sourceLine < 1) p.push(`transaction ${i}: sourceLine ${String(t.sourceLine)}`);
    if (typeof t.pending !== 'boolean') p.push(`transaction ${i}: pending is not a boolean`);
  });
  s.balances.forEach((b, i) => {
    if (typeof b.amountMinor !== 'bigint' || b.amountMinor > MAX || b.amountMinor < -MAX) p.push(`balance ${i}: amount out of range or not a bigint`);
    if (b.date !== undefined && !validDate(b.date)) p.push(`balance ${i}: date ${b.date} is not a calendar date`);
  });
  if (s.period?.start !== undefined && !validDate(s.period.start)) p.push(`period start ${s.period.start}`);
  if (s.period?.end !== undefined && !validDate(s.period.end)) p.push(`period end ${s.period.end}`);
  if (s.account.currency !== undefined && !/^[A-Z]{3}$/.test(s.account.currency)) p.push(`currency ${s.account.currency}`);
  return p;
}
