// Queries behind the budget: month sums of counted rows (converted row by row
// into the budget currency in SQL), opening balances, assignments, settings.
import { sql, type Expression, type SqlBool } from 'kysely';
import type { AccountType } from '../db/schema.ts';
import type { Executor } from '../shared/executor.ts';
import { packedRows } from '../reports/packed.ts';

/** Accounts whose money is budgeted; loans, investments, assets and liabilities are tracked only. */
export const ON_BUDGET_TYPES: readonly AccountType[] = ['checking', 'savings', 'credit_card', 'cash'];
export const isOnBudget = (t: AccountType) => ON_BUDGET_TYPES.includes(t);

export interface ActivitySum {
  category_id: string | null;
  month: string;
  total: bigint;
  /** 'YYYY-MM-DD CUR' of the earliest row without a rate, when any. */
  missing: string | null;
}

/**
 * Net amounts per (category, month) of the rows that count (a pair may come in more than
 * one row: add them up): rows of on-budget accounts,
 * split parts instead of their parents, pending and uncleared rows included, transfers
 * whose other side is also on budget left out. Foreign rows convert at their own date,
 * each rounded (finhub_fx_round_div, half away from zero), before summing.
 *
 * Where the work goes: rows of on-budget accounts in the budget currency that are not
 * transfers come pre-summed from the rollups the reports migrations keep exact with
 * statement triggers: the ledger-wide one per category and month, less the per-account
 * rows of every other account. Only the rows that need one-by-one treatment are read from transactions:
 * foreign-currency rows (each converts at its own day's rate) and the on-budget sides of
 * transfers to or from off-budget accounts (found from the off-budget side, which is
 * usually the small one).
 */
export async function activitySums(ex: Executor, ledgerId: string, budgetCurrency: string, endDate: string): Promise<ActivitySum[]> {
  const accounts = await ex.selectFrom('accounts').select(['id', 'type', 'currency']).where('ledger_id', '=', ledgerId).execute();
  const ids = (f: (a: (typeof accounts)[number]) => boolean) => accounts.filter(f).map((a) => a.id);
  const foreign = ids((a) => isOnBudget(a.type) && a.currency !== budgetCurrency);
  const onBudget = ids((a) => isOnBudget(a.type));
  const offBudget = ids((a) => !isOnBudget(a.type));
  // Everything but the on-budget accounts in the budget currency (whose sums the rollups give).
  const others = ids((a) => !(isOnBudget(a.type) && a.currency === budgetCurrency));
  if (onBudget.length === 0) return [];
  const uuids = (xs: string[]) => sql`${xs}::uuid[]`;
  // 1. The ledger-wide rollup (one row per category and month) and, negated, the rollup rows
  //    of the other accounts (off budget, or in another currency: read one by one below).
  //    Not summed here: the caller adds, and the embedded engine sums bigints slowly.
  const rolled = packedRows(ex, sql`
    select category_id, to_char(month, 'YYYY-MM') as month, amount_minor as total from report_ledger_category_months
     where ledger_id = ${ledgerId} and not is_transfer and month <= ${endDate}::date and amount_minor <> 0
    union all
    select category_id, to_char(month, 'YYYY-MM'), -amount_minor from report_category_months
     where ledger_id = ${ledgerId} and not is_transfer and month <= ${endDate}::date and amount_minor <> 0 and account_id = any(${uuids(others)})`,
    ['category_id', 'month', 'total'] as const);
  // 2. Rows that count one by one: rows of foreign on-budget accounts (converted at their own
  //    date) and the on-budget sides of transfers to or from off-budget accounts. Skipped
  //    when the ledger has neither kind of account; conversion only when there are foreign ones.
  const transfers = sql`
      -- On-budget sides of transfers whose other side is off budget.
      select t.category_id, t.posted_on, t.amount_minor, a.currency
        from transactions o join transactions t on t.id = o.transfer_peer_id join accounts a on a.id = t.account_id
       where o.account_id = any(${uuids(offBudget)}) and o.parent_id is null and o.transfer_peer_id is not null
         and t.account_id = any(${uuids(onBudget)}) and t.posted_on <= ${endDate}::date`;
  const singles =
    foreign.length === 0 && offBudget.length === 0
      ? Promise.resolve([])
      : foreign.length === 0
        ? packedRows(ex, sql`
            select c.category_id, to_char(c.posted_on, 'YYYY-MM') as month, sum(c.amount_minor)::bigint as total, null::text as missing
              from (${transfers}) c group by 1, 2`, ['category_id', 'month', 'total', 'missing'] as const)
        : packedRows(ex, sql`
    with singles as (
      -- Foreign on-budget accounts: plain rows, and split parts found through their parents.
      select t.category_id, t.posted_on, t.amount_minor, a.currency
        from transactions t join accounts a on a.id = t.account_id
       where t.account_id = any(${uuids(foreign)}) and t.parent_id is null and not t.is_split and t.transfer_peer_id is null and t.posted_on <= ${endDate}::date
      union all
      select s.category_id, s.posted_on, s.amount_minor, a.currency
        from transactions t join transactions s on s.parent_id = t.id join accounts a on a.id = t.account_id
       where t.account_id = any(${uuids(foreign)}) and t.parent_id is null and t.is_split and t.posted_on <= ${endDate}::date
      union all
      ${transfers}
    ), factors as materialized (
      select d.currency, d.posted_on, x.num, x.den
        from (select distinct currency, posted_on from singles where currency <> ${budgetCurrency}) d
        cross join lateral finhub_fx_factor(${ledgerId}::uuid, d.currency::text, ${budgetCurrency}::text, d.posted_on) x
    )
    select c.category_id, to_char(c.posted_on, 'YYYY-MM') as month,
           coalesce(sum(case when c.currency = ${budgetCurrency} then c.amount_minor::numeric else finhub_fx_round_div(c.amount_minor * f.num, f.den) end), 0)::bigint as total,
           min(case when c.currency <> ${budgetCurrency} and f.num is null and c.amount_minor <> 0 then c.posted_on::text || ' ' || c.currency end) as missing
      from singles c
      left join factors f on f.currency = c.currency and f.posted_on = c.posted_on
     group by 1, 2`, ['category_id', 'month', 'total', 'missing'] as const);
  const [a, b] = await Promise.all([rolled, singles]);
  return [
    ...a.map((x) => ({ category_id: x.category_id, month: x.month!, total: BigInt(x.total!), missing: null })),
    ...b.map((x) => ({ category_id: x.category_id, month: x.month!, total: BigInt(x.total!), missing: x.missing ?? null })),
  ];
}

/** On-budget accounts with their opening balance and the day it enters the budget. */
export async function openingBalances(ex: Executor, ledgerId: string) {
  const types = sql.join(ON_BUDGET_TYPES.map((t) => sql.lit(t)));
  const r = await sql<{ id: string; currency: string; opening_balance_minor: bigint; on: string }>`
    select id, currency, opening_balance_minor, coalesce(opened_on, (created_at at time zone 'UTC')::date)::text as on
      from accounts where ledger_id = ${ledgerId} and type in (${types}) and opening_balance_minor <> 0`.execute(ex);
  return r.rows;
}

export async function categoryTree(ex: Executor, ledgerId: string) {
  return ex
    .selectFrom('categories as c')
    .innerJoin('category_groups as g', 'g.id', 'c.group_id')
    .leftJoin('budget_category_settings as s', (j) => j.onRef('s.ledger_id', '=', 'c.ledger_id').onRef('s.category_id', '=', 'c.id'))
    .select(['c.id', 'c.name', 'c.hidden', 'c.group_id', 'g.name as group_name', 'g.is_income', 'g.hidden as group_hidden', 's.mode', 's.limit_minor', 's.currency as limit_currency'])
    .where('c.ledger_id', '=', ledgerId)
    .orderBy('g.is_income', 'desc')
    .orderBy('g.sort_order')
    .orderBy('g.name')
    .orderBy('c.sort_order')
    .orderBy('c.name')
    .orderBy('c.id')
    .execute();
}

export async function assignmentsUpTo(ex: Executor, ledgerId: string, lastMonthStart: string) {
  return ex
    .selectFrom('budget_assignments')
    .select(['category_id', sql<string>`to_char(month, 'YYYY-MM')`.as('month'), 'month as month_start', 'assigned_minor', 'currency'])
    .where('ledger_id', '=', ledgerId)
    .where('month', '<=', lastMonthStart)
    .execute();
}

/**
 * Like activitySums, for the rows of [from, to] that a report query selects (`cond`, over
 * the top-level rows `t`; split parts follow their parent): what the budget counts of
 * them, per (category, month), converted row by row into the budget currency. Read from
 * the rows, not the rollups: a query is a condition on single transactions.
 */
export async function filteredActivitySums(ex: Executor, ledgerId: string, budgetCurrency: string, range: { from: string; to: string }, cond: Expression<SqlBool>): Promise<ActivitySum[]> {
  const accounts = await ex.selectFrom('accounts').select(['id', 'type']).where('ledger_id', '=', ledgerId).execute();
  const onBudget = accounts.filter((a) => isOnBudget(a.type)).map((a) => a.id);
  const offBudget = accounts.filter((a) => !isOnBudget(a.type)).map((a) => a.id);
  if (onBudget.length === 0) return [];
  const r = await sql<ActivitySum>`
    with sel as (
      select t.id, t.account_id, t.posted_on, t.amount_minor, t.category_id, t.is_split
        from transactions t
       where t.ledger_id = ${ledgerId} and t.parent_id is null and t.posted_on between ${range.from} and ${range.to}
         and t.account_id = any(${onBudget}::uuid[])
         -- A transfer counts only when its other side is off budget.
         and (t.transfer_peer_id is null
              or exists (select 1 from transactions o where o.id = t.transfer_peer_id and o.account_id = any(${offBudget}::uuid[])))
         and ${cond}
    ), leaves as (
      select account_id, posted_on, amount_minor, category_id from sel where not is_split
      union all
      select p.account_id, p.posted_on, p.amount_minor, p.category_id
        from sel cross join lateral (select * from transactions p where p.parent_id = sel.id) p
       where sel.is_split
    ), l as (
      select leaves.*, a.currency from leaves join accounts a on a.id = leaves.account_id
    ), factors as materialized (
      select d.currency, d.posted_on, x.num, x.den
        from (select distinct currency, posted_on from l where currency <> ${budgetCurrency}) d
        cross join lateral finhub_fx_factor(${ledgerId}::uuid, d.currency::text, ${budgetCurrency}::text, d.posted_on) x
    )
    select l.category_id, to_char(l.posted_on, 'YYYY-MM') as month,
           coalesce(sum(case when l.currency = ${budgetCurrency} or l.amount_minor = 0 then l.amount_minor::numeric else finhub_fx_round_div(l.amount_minor * f.num, f.den) end), 0)::bigint as total,
           min(case when l.currency <> ${budgetCurrency} and l.amount_minor <> 0 and f.num is null then l.posted_on::text || ' ' || l.currency end) as missing
      from l left join factors f on f.currency = l.currency and f.posted_on = l.posted_on
     group by 1, 2`.execute(ex);
  return r.rows;
}
