// Balance reports: account balance history and net worth over time. A point is
// the end of each month of the range (the last one is `to` itself). An
// account's balance on day D is its opening balance plus every top-level row
// dated on or before D (pending rows included, transfers included); accounts
// opened after D have no balance on D. Balances convert to the report currency
// at D's rate, once per account (src/fx rule); net worth is their sum.
import { json, type ReportContext } from './context.ts';
import { monthEnd } from './periods.ts';
import { accountSums, openings, sumsBefore } from './reports.repository.ts';

interface AccountHistory {
  account_id: string;
  name: string;
  type: string;
  currency: string;
  /** Native balance per point; null before the account was opened. */
  native: (bigint | null)[];
  converted: (bigint | null)[];
}

async function histories(ctx: ReportContext): Promise<{ dates: string[]; accounts: AccountHistory[] }> {
  const dates = ctx.months.map((m) => (monthEnd(m) < ctx.range.to ? monthEnd(m) : ctx.range.to));
  // Accounts with a matching row (scan queries): before the range, in it, or a matching opening balance.
  const active = new Set<string>();
  const [before, sums, opens] = await Promise.all([
    sumsBefore(ctx.ex, ctx.ledgerId, ctx.range.from, ctx.filter, ctx.accounts, active),
    accountSums(ctx.ex, ctx.ledgerId, ctx.range, ctx.filter, ctx.accounts),
    openings(ctx.ex, ctx.ledgerId, ctx.filter, ctx.accounts),
  ]);
  const idx = new Map(ctx.months.map((m, i) => [m, i]));
  const perMonth = new Map<string, bigint[]>(ctx.accounts.map((a) => [a.id, ctx.months.map(() => 0n)]));
  for (const s of sums) {
    const i = idx.get(s.month);
    const row = perMonth.get(s.account_id);
    if (i === undefined || !row) continue;
    row[i]! += s.amount;
    active.add(s.account_id);
  }
  const opening = new Map(opens.map((o) => [o.account_id, o.amount]));
  for (const o of opens) active.add(o.account_id);
  // Without a query every account is shown; with one on accounts, the accounts it names; with any other, the accounts it touches.
  const shown = ctx.accounts.filter((a) => (ctx.filter.kind === 'all' ? true : ctx.filter.kind === 'keys' ? ctx.filter.test(a.id, false) || ctx.filter.test(a.id, true) : active.has(a.id)));
  const accounts = shown.map((a) => {
    let running = (before.get(a.id) ?? 0n) + (opening.get(a.id) ?? 0n);
    const native = dates.map((d, i) => {
      running += perMonth.get(a.id)![i]!;
      return a.opened_on !== null && a.opened_on > d ? null : running;
    });
    return { account_id: a.id, name: a.name, type: a.type, currency: a.currency, native, converted: [] as (bigint | null)[] };
  });
  // Date by date, so a missing rate is reported for its earliest date.
  dates.forEach((d, i) => {
    for (const a of accounts) a.converted[i] = a.native[i] === null ? null : ctx.cv.convert(a.native[i]!, a.currency, d);
  });
  return { dates, accounts };
}

const opt = (v: bigint | null) => (v === null ? null : json(v));

export async function balancesReport(ctx: ReportContext) {
  const h = await histories(ctx);
  return {
    ledger_id: ctx.ledgerId, currency: ctx.currency, from: ctx.range.from, to: ctx.range.to, months: ctx.months,
    query: ctx.filter.kind === 'all' ? null : ctx.filter.text, source: ctx.source,
    dates: h.dates,
    accounts: h.accounts.map((a) => ({ account_id: a.account_id, name: a.name, type: a.type, currency: a.currency, balances_minor: a.native.map(opt), converted_minor: a.converted.map(opt) })),
    totals_minor: h.dates.map((_, i) => json(h.accounts.reduce((t, a) => t + (a.converted[i] ?? 0n), 0n))),
  };
}

export async function netWorthReport(ctx: ReportContext) {
  const h = await histories(ctx);
  return {
    ledger_id: ctx.ledgerId, currency: ctx.currency, from: ctx.range.from, to: ctx.range.to, months: ctx.months,
    query: ctx.filter.kind === 'all' ? null : ctx.filter.text, source: ctx.source,
    points: h.dates.map((date, i) => {
      let assets = 0n;
      let liabilities = 0n;
      for (const a of h.accounts) {
        const v = a.converted[i] ?? 0n;
        if (v > 0n) assets += v;
        else liabilities += v;
      }
      // Accounts with a positive balance are assets, negative ones liabilities (whatever their type).
      return { date, assets_minor: json(assets), liabilities_minor: json(liabilities), net_worth_minor: json(assets + liabilities) };
    }),
  };
}
