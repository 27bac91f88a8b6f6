// Plain-text tables of the reports for the CLI: text left-aligned, amounts
// right-aligned as decimals of the report currency.
import { money } from './csv.ts';

type Row = (string | null)[];

export function table(head: string[], rows: Row[], numericFrom = 1): string[] {
  const all = [head, ...rows].map((r) => r.map((c) => c ?? ''));
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => (i >= numericFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(all[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(fmt)];
}

interface Base {
  currency: string;
  months: string[];
}

export function spendingTable(r: Base & { categories: { name: string | null; amounts_minor: number[]; total_minor: number }[]; totals_minor: number[]; total_minor: number }): string[] {
  const m = money(r.currency);
  return table(['category', ...r.months, 'total'], [
    ...r.categories.map((c) => [c.name ?? '(uncategorized)', ...c.amounts_minor.map(m), m(c.total_minor)]),
    ['Total', ...r.totals_minor.map(m), m(r.total_minor)],
  ]);
}

export function cashflowTable(r: Base & { rows: { month: string; income_minor: number; expense_minor: number; net_minor: number }[]; total: { income_minor: number; expense_minor: number; net_minor: number } }): string[] {
  const m = money(r.currency);
  return table(['month', 'income', 'expense', 'net'], [...r.rows.map((x) => [x.month, m(x.income_minor), m(x.expense_minor), m(x.net_minor)]), ['Total', m(r.total.income_minor), m(r.total.expense_minor), m(r.total.net_minor)]]);
}

type PayeeLine = { net_minor: number; inflow_minor: number; outflow_minor: number; count: number };
export function payeesTable(r: Base & { payees: (PayeeLine & { name: string | null })[]; others: PayeeLine & { payees: number }; total: PayeeLine & { payees: number } }): string[] {
  const m = money(r.currency);
  const line = (x: PayeeLine) => [m(x.net_minor), m(x.inflow_minor), m(x.outflow_minor), String(x.count)];
  return table(['payee', 'net', 'in', 'out', 'count'], [
    ...r.payees.map((p) => [p.name ?? '(no payee)', ...line(p)]),
    ...(r.others.payees > 0 ? [[`others (${r.others.payees})`, ...line(r.others)]] : []),
    [`Total (${r.total.payees} payees)`, ...line(r.total)],
  ]);
}

export function trendTable(r: Base & { series: { name: string; amounts_minor: number[]; average_minor: number; total_minor: number }[] }): string[] {
  const m = money(r.currency);
  return table(['', ...r.months, 'average', 'total'], r.series.map((s) => [s.name, ...s.amounts_minor.map(m), m(s.average_minor), m(s.total_minor)]));
}

export function netWorthTable(r: Base & { points: { date: string; assets_minor: number; liabilities_minor: number; net_worth_minor: number }[] }): string[] {
  const m = money(r.currency);
  return table(['date', 'assets', 'liabilities', 'net worth'], r.points.map((p) => [p.date, m(p.assets_minor), m(p.liabilities_minor), m(p.net_worth_minor)]));
}

export function balancesTable(r: Base & { dates: string[]; accounts: { name: string; currency: string; balances_minor: (number | null)[] }[]; totals_minor: number[] }): string[] {
  return table(['account', ...r.dates], [
    ...r.accounts.map((a) => [`${a.name} (${a.currency})`, ...a.balances_minor.map(money(a.currency))]),
    [`Total (${r.currency})`, ...r.totals_minor.map(money(r.currency))],
  ]);
}

export function budgetTable(r: Base & { categories: { name: string; budgeted_minor: number[]; actual_minor: number[]; available_minor: number[] }[]; totals: { budgeted_minor: number[]; actual_minor: number[]; available_minor: number[] } }): string[] {
  const m = money(r.currency);
  const last = r.months.length - 1;
  // Each month: actual of budgeted; then what is available at the end of the range.
  const cell = (a: number, b: number) => `${m(a)} / ${m(b)}`;
  return table(['category (actual / budgeted)', ...r.months, 'available'], [
    ...r.categories.map((c) => [c.name, ...r.months.map((_, i) => cell(c.actual_minor[i]!, c.budgeted_minor[i]!)), m(c.available_minor[last]!)]),
    ['Total', ...r.months.map((_, i) => cell(r.totals.actual_minor[i]!, r.totals.budgeted_minor[i]!)), m(r.totals.available_minor[last]!)],
  ]);
}
