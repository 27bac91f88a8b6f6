// CSV renderings of the reports (RFC 4180, CRLF line ends, amounts as decimal
// text in the report currency). Text cells that a spreadsheet would run as a
// formula (=, +, -, @, tab, CR at the start) get a leading apostrophe.
import type { CurrencyCode } from '../money/currencies.ts';
import { toDecimalString, type Minor } from '../money/money.ts';

type Cell = string | number | null;

export function text(v: string | null): string {
  if (v === null) return '';
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

function cell(v: Cell): string {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: Cell[][]): string {
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

export const money = (currency: string) => (v: number | null) => (v === null ? null : toDecimalString(BigInt(v) as Minor, currency as CurrencyCode));

interface Base {
  currency: string;
  months: string[];
}

export function spendingCsv(r: Base & { categories: { name: string | null; group_name: string | null; amounts_minor: number[]; total_minor: number }[]; totals_minor: number[]; total_minor: number }): string {
  const m = money(r.currency);
  return toCsv([
    ['category', 'group', ...r.months, 'total'],
    ...r.categories.map((c) => [text(c.name ?? '(uncategorized)'), text(c.group_name), ...c.amounts_minor.map(m), m(c.total_minor)]),
    ['Total', null, ...r.totals_minor.map(m), m(r.total_minor)],
  ]);
}

export function cashflowCsv(r: Base & { rows: { month: string; income_minor: number; expense_minor: number; net_minor: number }[]; total: { income_minor: number; expense_minor: number; net_minor: number } }): string {
  const m = money(r.currency);
  return toCsv([
    ['month', 'income', 'expense', 'net'],
    ...r.rows.map((x) => [x.month, m(x.income_minor), m(x.expense_minor), m(x.net_minor)]),
    ['Total', m(r.total.income_minor), m(r.total.expense_minor), m(r.total.net_minor)],
  ]);
}

type PayeeLine = { net_minor: number; inflow_minor: number; outflow_minor: number; count: number };
export function payeesCsv(r: Base & { payees: (PayeeLine & { name: string | null })[]; others: PayeeLine & { payees: number }; total: PayeeLine & { payees: number } }): string {
  const m = money(r.currency);
  const line = (x: PayeeLine) => [m(x.net_minor), m(x.inflow_minor), m(x.outflow_minor), x.count];
  return toCsv([
    ['payee', 'net', 'inflow', 'outflow', 'transactions'],
    ...r.payees.map((p) => [text(p.name ?? '(no payee)'), ...line(p)]),
    [`Others (${r.others.payees} payees)`, ...line(r.others)],
    [`Total (${r.total.payees} payees)`, ...line(r.total)],
  ]);
}

export function trendCsv(r: Base & { series: { name: string; amounts_minor: number[]; total_minor: number; average_minor: number; min_minor: number; max_minor: number }[] }): string {
  const m = money(r.currency);
  return toCsv([
    ['name', ...r.months, 'total', 'average', 'min', 'max'],
    ...r.series.map((s) => [text(s.name), ...s.amounts_minor.map(m), m(s.total_minor), m(s.average_minor), m(s.min_minor), m(s.max_minor)]),
  ]);
}

export function netWorthCsv(r: Base & { points: { date: string; assets_minor: number; liabilities_minor: number; net_worth_minor: number }[] }): string {
  const m = money(r.currency);
  return toCsv([['date', 'assets', 'liabilities', 'net_worth'], ...r.points.map((p) => [p.date, m(p.assets_minor), m(p.liabilities_minor), m(p.net_worth_minor)])]);
}

export function balancesCsv(r: Base & { dates: string[]; accounts: { name: string; currency: string; balances_minor: (number | null)[] }[]; totals_minor: number[] }): string {
  const m = money(r.currency);
  return toCsv([
    ['account', 'currency', ...r.dates],
    ...r.accounts.map((a) => [text(a.name), a.currency, ...a.balances_minor.map(money(a.currency))]),
    [`Total in ${r.currency}`, r.currency, ...r.totals_minor.map(m)],
  ]);
}

export function budgetCsv(r: Base & {
  categories: { name: string; group_name: string; budgeted_minor: number[]; actual_minor: number[]; available_minor: number[] }[];
  totals: { budgeted_minor: number[]; actual_minor: number[]; available_minor: number[] };
}): string {
  const m = money(r.currency);
  const cols = r.months.flatMap((x) => [`${x} budgeted`, `${x} actual`, `${x} available`]);
  const line = (b: number[], a: number[], v: number[]) => r.months.flatMap((_, i) => [m(b[i]!), m(a[i]!), m(v[i]!)]);
  return toCsv([
    ['category', 'group', ...cols],
    ...r.categories.map((c) => [text(c.name), text(c.group_name), ...line(c.budgeted_minor, c.actual_minor, c.available_minor)]),
    ['Total', null, ...line(r.totals.budgeted_minor, r.totals.actual_minor, r.totals.available_minor)],
  ]);
}
