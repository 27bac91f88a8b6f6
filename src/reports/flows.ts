// Money-in/money-out reports: spending by category by month, cash flow by
// month, category trend and top payees. Transfers move money between the
// household's own accounts, so none of these count them (both sides are left
// out, also across currencies). Split transactions count by their parts.
// Amounts keep the ledger's sign: money out is negative.
import { sql } from 'kysely';
import { divRound } from '../money/money.ts';
import { invalid } from '../shared/app-error.ts';
import { isUuid } from '../shared/ids.ts';
import { convertedLeafSums, convertedPayeeSums, json, type ReportContext } from './context.ts';
import type { LeafSum } from './reports.repository.ts';

export type FlowKind = 'expense' | 'income' | 'all';

interface CategoryInfo {
  id: string;
  name: string;
  group_id: string;
  group_name: string;
  is_income: boolean;
}

async function categoryInfo(ctx: ReportContext): Promise<Map<string, CategoryInfo>> {
  const rows = await sql<CategoryInfo>`
    select c.id, c.name, g.id as group_id, g.name as group_name, g.is_income
      from categories c join category_groups g on g.id = c.group_id
     where c.ledger_id = ${ctx.ledgerId}`.execute(ctx.ex);
  return new Map(rows.rows.map((r) => [r.id, r]));
}

/** Expense: categories outside income groups, and uncategorized rows; income: categories in income groups. */
const kindOk = (kind: FlowKind, c: CategoryInfo | undefined) => kind === 'all' || (kind === 'income' ? c?.is_income === true : c?.is_income !== true);

function header(ctx: ReportContext) {
  return { ledger_id: ctx.ledgerId, currency: ctx.currency, from: ctx.range.from, to: ctx.range.to, months: ctx.months, query: ctx.filter.kind === 'all' ? null : ctx.filter.text, source: ctx.source };
}

interface Series {
  amounts: bigint[];
  total: bigint;
}

function seriesBy(ctx: ReportContext, sums: LeafSum[], keyOf: (s: LeafSum) => string | undefined): Map<string, Series> {
  const idx = new Map(ctx.months.map((m, i) => [m, i]));
  const out = new Map<string, Series>();
  for (const s of sums) {
    if (s.is_transfer) continue;
    const key = keyOf(s);
    if (key === undefined) continue;
    let x = out.get(key);
    if (!x) out.set(key, (x = { amounts: ctx.months.map(() => 0n), total: 0n }));
    const i = idx.get(s.month);
    if (i === undefined) continue;
    x.amounts[i]! += s.amount;
    x.total += s.amount;
  }
  return out;
}

const NONE = 'none';

export async function spendingReport(ctx: ReportContext, kind: FlowKind) {
  const [sums, cats] = await Promise.all([convertedLeafSums(ctx, { category: true }), categoryInfo(ctx)]);
  const series = seriesBy(ctx, sums, (s) => (kindOk(kind, s.category_id ? cats.get(s.category_id) : undefined) ? (s.category_id ?? NONE) : undefined));
  const rows = [...series].map(([id, x]) => {
    const c = id === NONE ? undefined : cats.get(id);
    return { category_id: c?.id ?? null, name: c?.name ?? null, group_id: c?.group_id ?? null, group_name: c?.group_name ?? null, is_income: c?.is_income ?? false, x };
  });
  // Biggest spending first (most negative), then by name.
  rows.sort((a, b) => (a.x.total < b.x.total ? -1 : a.x.total > b.x.total ? 1 : (a.name ?? '').localeCompare(b.name ?? '')));
  const totals = ctx.months.map((_, i) => rows.reduce((t, r) => t + r.x.amounts[i]!, 0n));
  return {
    ...header(ctx),
    kind,
    categories: rows.map((r) => ({ category_id: r.category_id, name: r.name, group_id: r.group_id, group_name: r.group_name, is_income: r.is_income, amounts_minor: r.x.amounts.map(json), total_minor: json(r.x.total) })),
    totals_minor: totals.map(json),
    total_minor: json(totals.reduce((t, x) => t + x, 0n)),
  };
}

export async function cashflowReport(ctx: ReportContext) {
  const sums = await convertedLeafSums(ctx, { category: false });
  const idx = new Map(ctx.months.map((m, i) => [m, i]));
  const income = ctx.months.map(() => 0n);
  const net = ctx.months.map(() => 0n);
  for (const s of sums) {
    const i = idx.get(s.month);
    if (s.is_transfer || i === undefined) continue;
    income[i]! += s.inflow;
    net[i]! += s.amount;
  }
  const sum = (xs: bigint[]) => xs.reduce((t, x) => t + x, 0n);
  return {
    ...header(ctx),
    rows: ctx.months.map((month, i) => ({ month, income_minor: json(income[i]!), expense_minor: json(net[i]! - income[i]!), net_minor: json(net[i]!) })),
    total: { income_minor: json(sum(income)), expense_minor: json(sum(net) - sum(income)), net_minor: json(sum(net)) },
  };
}

export async function trendReport(ctx: ReportContext, opts: { by: 'category' | 'group'; ids: string[] | undefined; top: number }) {
  const [sums, cats] = await Promise.all([convertedLeafSums(ctx, { category: true }), categoryInfo(ctx)]);
  const groupOf = (id: string | null) => (id ? cats.get(id)?.group_id : undefined) ?? NONE;
  const keyOf = opts.by === 'group' ? (s: LeafSum) => groupOf(s.category_id) : (s: LeafSum) => s.category_id ?? NONE;
  for (const [i, id] of (opts.ids ?? []).entries()) {
    const known = id === NONE || (opts.by === 'group' ? [...cats.values()].some((c) => c.group_id === id) : cats.has(id));
    if (!known) throw invalid(`/query/ids/${i}`, `no such ${opts.by} in this ledger`);
  }
  const all = seriesBy(ctx, sums, keyOf);
  let picked: string[];
  if (opts.ids) picked = opts.ids;
  else {
    // Default: the biggest expense lines of the range.
    const expense = [...all].filter(([id]) => (opts.by === 'group' ? [...cats.values()].find((c) => c.group_id === id)?.is_income !== true : !cats.get(id)?.is_income));
    picked = expense.sort((a, b) => (a[1].total < b[1].total ? -1 : a[1].total > b[1].total ? 1 : 0)).slice(0, opts.top).map(([id]) => id);
  }
  const nameOf = (id: string) => {
    if (id === NONE) return opts.by === 'group' ? '(no group)' : '(uncategorized)';
    if (opts.by === 'group') return [...cats.values()].find((c) => c.group_id === id)?.group_name ?? id;
    return cats.get(id)?.name ?? id;
  };
  const n = BigInt(ctx.months.length);
  return {
    ...header(ctx),
    by: opts.by,
    series: picked.map((id) => {
      const x = all.get(id) ?? { amounts: ctx.months.map(() => 0n), total: 0n };
      const min = x.amounts.reduce((m, v) => (v < m ? v : m), x.amounts[0]!);
      const max = x.amounts.reduce((m, v) => (v > m ? v : m), x.amounts[0]!);
      return {
        id: id === NONE ? null : id,
        name: nameOf(id),
        amounts_minor: x.amounts.map(json),
        // Month-over-month change; null for the first month.
        changes_minor: x.amounts.map((v, i) => (i === 0 ? null : json(v - x.amounts[i - 1]!))),
        total_minor: json(x.total),
        // Mean per month, rounded half-even to a whole minor unit.
        average_minor: json(divRound(x.total, n, 'half-even')),
        min_minor: json(min),
        max_minor: json(max),
      };
    }),
  };
}

export async function payeesReport(ctx: ReportContext, opts: { kind: FlowKind; limit: number }) {
  const sums = await convertedPayeeSums(ctx);
  const by = new Map<string, { net: bigint; inflow: bigint; count: bigint }>();
  for (const s of sums) {
    const key = s.payee_id ?? NONE;
    const x = by.get(key) ?? { net: 0n, inflow: 0n, count: 0n };
    x.net += s.amount;
    x.inflow += s.inflow;
    x.count += s.count;
    by.set(key, x);
  }
  const entries = [...by].filter(([, x]) => x.count > 0n);
  const pick = opts.kind === 'expense' ? entries.filter(([, x]) => x.net < 0n) : opts.kind === 'income' ? entries.filter(([, x]) => x.net > 0n) : entries;
  const mag = (v: bigint) => (v < 0n ? -v : v);
  // Most money out first (expense), most money in first (income), biggest movement first (all); ties by id.
  const score = (v: bigint) => (opts.kind === 'expense' ? v : opts.kind === 'income' ? -v : -mag(v));
  pick.sort((a, b) => (score(a[1].net) < score(b[1].net) ? -1 : score(a[1].net) > score(b[1].net) ? 1 : a[0].localeCompare(b[0])));
  const top = pick.slice(0, opts.limit);
  const ids = top.map(([id]) => id).filter((id) => id !== NONE && isUuid(id));
  const names = ids.length ? await ctx.ex.selectFrom('payees').select(['id', 'name']).where('ledger_id', '=', ctx.ledgerId).where('id', 'in', ids).execute() : [];
  const nameOf = new Map(names.map((p) => [p.id, p.name]));
  const line = (x: { net: bigint; inflow: bigint; count: bigint }) => ({ net_minor: json(x.net), inflow_minor: json(x.inflow), outflow_minor: json(x.net - x.inflow), count: json(x.count) });
  const rest = pick.slice(opts.limit).reduce((t, [, x]) => ({ net: t.net + x.net, inflow: t.inflow + x.inflow, count: t.count + x.count }), { net: 0n, inflow: 0n, count: 0n });
  const all = pick.reduce((t, [, x]) => ({ net: t.net + x.net, inflow: t.inflow + x.inflow, count: t.count + x.count }), { net: 0n, inflow: 0n, count: 0n });
  return {
    ...header(ctx),
    kind: opts.kind,
    payees: top.map(([id, x]) => ({ payee_id: id === NONE ? null : id, name: id === NONE ? null : (nameOf.get(id) ?? null), ...line(x) })),
    // The payees past the limit, summed, so that payees + others = total.
    others: { payees: pick.length - top.length, ...line(rest) },
    total: { payees: pick.length, ...line(all) },
  };
}
