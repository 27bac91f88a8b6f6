// The queries behind every report. Two sources give the same sums:
//   - the monthly rollups (migrations/*_reports.ts) for whole months, when the
//     report's query is a condition on their keys;
//   - the base rows, for partial months at the edges of a range, for queries
//     the rollups cannot answer, and for accounts whose currency needs
//     converting: each row converts at its own date's rate in SQL with part
//     B's functions (finhub_fx_factor once per currency and day,
//     finhub_fx_round_div per row: the rule of src/fx, identity-tested there).
// The database aggregates to the dimensions a report needs, so a report
// receives at most months x categories rows, whatever the size of the ledger.
// "Leaf" rows are ordinary top-level rows and split parts (a split parent is
// represented by its parts); payee sums are per transaction.
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { Executor } from '../shared/executor.ts';
import type { AccountInfo, ReportFilter } from './filter.ts';
import { keyCondition } from './filter.ts';
import { packedRows } from './packed.ts';
import { coverage, monthStart, type DateRange } from './periods.ts';

export interface LeafSum {
  /** YYYY-MM */
  month: string;
  /** Null for uncategorized rows, and when the category dimension was not asked for. */
  category_id: string | null;
  is_transfer: boolean;
  amount: bigint;
  inflow: bigint;
  count: bigint;
  /** Earliest "YYYY-MM-DD CUR" with no exchange rate among the rows (converted sums only). */
  missing?: string | null;
}

export interface AccountSum {
  month: string;
  account_id: string;
  amount: bigint;
}

export interface PayeeSum {
  payee_id: string | null;
  amount: bigint;
  inflow: bigint;
  count: bigint;
  missing?: string | null;
}

const b = (v: unknown) => BigInt(v as string | bigint);
const none = sql<SqlBool>`true`;
const month = (v: unknown) => String(v).slice(0, 7);

export async function ledgerAccounts(ex: Executor, ledgerId: string): Promise<AccountInfo[]> {
  const r = await sql<AccountInfo>`
    select id, name, lower(name) as lower_name, type, currency, opening_balance_minor, opened_on, tx_sum_minor
      from accounts where ledger_id = ${ledgerId} order by name, id`.execute(ex);
  return r.rows.map((a) => ({ ...a, opening_balance_minor: b(a.opening_balance_minor), tx_sum_minor: b(a.tx_sum_minor) }));
}

const inAccounts = (col: string, ids: string[] | undefined) => (ids === undefined ? none : ids.length ? sql<SqlBool>`${sql.ref(col)} in (${sql.join(ids)})` : sql<SqlBool>`false`);

/** Condition on the selected top-level rows `t` (accounts, query keys, scan query). */
function topCondition(f: ReportFilter, accounts: AccountInfo[], onlyAccounts: string[] | undefined): Expression<SqlBool> {
  const parts: Expression<SqlBool>[] = [inAccounts('t.account_id', onlyAccounts)];
  const k = keyCondition(f, accounts, 't.account_id', 't.transfer_peer_id is not null');
  if (k) parts.push(k);
  if (f.kind === 'scan') parts.push(f.where);
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
}

/**
 * Leaf rows of the matching top-level rows in a range, as (top_id, payee_id,
 * posted_on, account_id, category_id, is_transfer, v, missing): v is the
 * amount, converted to `target` when given (missing: no rate for it).
 */
function leaves(ledgerId: string, r: DateRange, cond: Expression<SqlBool>, target: string | undefined, opts: { transfers: boolean }): RawBuilder<unknown> {
  const raw = sql`
    with sel as (
      select t.id, t.payee_id, t.account_id, t.posted_on, t.amount_minor, t.category_id, t.is_split, t.transfer_peer_id is not null as is_transfer
        from transactions t
       where t.ledger_id = ${ledgerId} and t.parent_id is null and t.posted_on between ${r.from} and ${r.to} and ${cond}
         ${opts.transfers ? sql`` : sql`and t.transfer_peer_id is null`}
    )
    select id as top_id, payee_id, posted_on, account_id, category_id, is_transfer, amount_minor from sel where not is_split
    union all
    -- Parts share their parent's ledger (composite foreign key): one index probe per split parent.
    select sel.id, sel.payee_id, p.posted_on, p.account_id, p.category_id, false, p.amount_minor
      from sel cross join lateral (select * from transactions p where p.parent_id = sel.id) p
     where sel.is_split`;
  if (target === undefined) return sql`select x.*, x.amount_minor as v, false as missing from (${raw}) x`;
  return sql`
    with l as (select x.*, a.currency from (${raw}) x join accounts a on a.id = x.account_id),
    days as (select distinct currency, posted_on from l where currency <> ${target}),
    f as (select d.currency, d.posted_on, x.num, x.den from days d cross join lateral finhub_fx_factor(${ledgerId}::uuid, d.currency::text, ${target}::text, d.posted_on) x)
    select l.*,
           case when l.currency = ${target} or l.amount_minor = 0 then l.amount_minor::numeric else finhub_fx_round_div(l.amount_minor * f.num, f.den) end as v,
           (l.currency <> ${target} and l.amount_minor <> 0 and f.num is null) as missing
      from l left join f on f.currency = l.currency and f.posted_on = l.posted_on`;
}

/** Columns of a rollup leaf-sum query (the category only when grouped by it). */
const sumCols = (category: boolean) => (category ? (['month', 'category_id', 'amount', 'inflow', 'n'] as const) : (['month', 'amount', 'inflow', 'n'] as const));

const MISSING = sql`min(case when x.missing then x.posted_on::text || ' ' || x.currency end)`;

function toLeafSums(rows: Record<string, unknown>[]): LeafSum[] {
  return rows.map((x) => ({
    month: month(x.month), category_id: (x.category_id as string | undefined) ?? null, is_transfer: false,
    amount: b(x.amount), inflow: b(x.inflow), count: b(x.n), missing: (x.missing as string | null | undefined) ?? null,
  }));
}

async function baseLeafSums(ex: Executor, ledgerId: string, r: DateRange, cond: Expression<SqlBool>, category: boolean, target: string | undefined): Promise<LeafSum[]> {
  const m = sql`date_trunc('month', x.posted_on::timestamp)::date`;
  const res = await sql<Record<string, unknown>>`
    select ${m} as month ${category ? sql`, x.category_id` : sql``},
           coalesce(sum(x.v), 0)::bigint as amount, coalesce(sum(greatest(x.v, 0)), 0)::bigint as inflow, count(*)::bigint as n,
           ${target === undefined ? sql`null` : MISSING} as missing
      from (${leaves(ledgerId, r, cond, target, { transfers: false })}) x
     group by ${m} ${category ? sql`, x.category_id` : sql``}`.execute(ex);
  return toLeafSums(res.rows);
}

/**
 * Sums of the non-transfer leaf rows in `target` per month (and category when
 * asked; a key may come in several entries, which the caller adds up): accounts in `target` from the rollups (whole months) or their rows,
 * the other accounts converted row by row. (Every flow report leaves
 * transfers out, so they are not read at all.)
 */
export async function leafSums(ex: Executor, ledgerId: string, r: DateRange, f: ReportFilter, accounts: AccountInfo[], opts: { category: boolean; target: string }): Promise<{ sums: LeafSum[]; fromRollups: boolean }> {
  const native = accounts.filter((a) => a.currency === opts.target).map((a) => a.id);
  const foreign = accounts.filter((a) => a.currency !== opts.target).map((a) => a.id);
  const only = foreign.length ? native : undefined;
  const jobs: Promise<LeafSum[]>[] = [];
  if (foreign.length) jobs.push(baseLeafSums(ex, ledgerId, r, topCondition(f, accounts, foreign), opts.category, opts.target));
  if (native.length) {
    const cond = topCondition(f, accounts, only);
    const cov = coverage(r);
    if (f.kind === 'scan') jobs.push(baseLeafSums(ex, ledgerId, r, cond, opts.category, undefined));
    else {
      for (const p of cov.partial) jobs.push(baseLeafSums(ex, ledgerId, p, cond, opts.category, undefined));
      if (cov.months) {
        const [mFrom, mTo] = [monthStart(cov.months.from), monthStart(cov.months.to)];
        const cat = opts.category ? sql`, r.category_id` : sql``;
        if (f.kind === 'all') {
          // The ledger-wide rollup, less the accounts in other currencies (their rows are converted
          // one by one above). Its rows are already one per month and category; they are not
          // summed in SQL (the embedded engine sums bigints slowly): the reports add them up.
          const c = opts.category ? sql`category_id,` : sql``;
          jobs.push(
            packedRows(ex, sql`
              select month, ${c} amount_minor as amount, inflow_minor as inflow, row_count as n from report_ledger_category_months
               where ledger_id = ${ledgerId} and month between ${mFrom} and ${mTo} and not is_transfer
              ${foreign.length ? sql`union all
              select month, ${c} -amount_minor, -inflow_minor, -row_count from report_category_months
               where ledger_id = ${ledgerId} and month between ${mFrom} and ${mTo} and not is_transfer and account_id in (${sql.join(foreign)})` : sql``}`,
              sumCols(opts.category)).then(toLeafSums),
          );
        } else {
          jobs.push(
            packedRows(ex, sql`
              select r.month ${cat}, sum(r.amount_minor)::bigint as amount, sum(r.inflow_minor)::bigint as inflow, sum(r.row_count)::bigint as n
                from report_category_months r
               where r.ledger_id = ${ledgerId} and r.month between ${mFrom} and ${mTo}
                 and not r.is_transfer and ${inAccounts('r.account_id', only)} and ${keyCondition(f, accounts, 'r.account_id', 'r.is_transfer') ?? none}
               group by r.month ${cat}`, sumCols(opts.category)).then(toLeafSums),
          );
        }
      }
    }
  }
  return { sums: (await Promise.all(jobs)).flat(), fromRollups: f.kind !== 'scan' };
}

function toPayeeSums(rows: Record<string, unknown>[]): PayeeSum[] {
  return rows.map((x) => ({ payee_id: x.payee_id as string | null, amount: b(x.amount), inflow: b(x.inflow), count: b(x.n), missing: (x.missing as string | null | undefined) ?? null }));
}

/** Per payee over the base rows: a transaction's amount is the sum of its (converted) parts; money in or out is per transaction. */
async function basePayeeSums(ex: Executor, ledgerId: string, r: DateRange, cond: Expression<SqlBool>, target: string | undefined): Promise<PayeeSum[]> {
  const res = await sql<Record<string, unknown>>`
    with tx as (
      select x.top_id, x.payee_id, coalesce(sum(x.v), 0) as v, ${target === undefined ? sql`null` : MISSING} as missing
        from (${leaves(ledgerId, r, cond, target, { transfers: false })}) x
       group by x.top_id, x.payee_id
    )
    select payee_id, sum(v)::bigint as amount, sum(greatest(v, 0))::bigint as inflow, count(*)::bigint as n, min(missing) as missing
      from tx group by payee_id`.execute(ex);
  return toPayeeSums(res.rows);
}

/** Per payee (top-level rows, no transfers) in `target`, like leafSums. */
export async function payeeSums(ex: Executor, ledgerId: string, r: DateRange, f: ReportFilter, accounts: AccountInfo[], opts: { target: string }): Promise<{ sums: PayeeSum[]; fromRollups: boolean }> {
  const native = accounts.filter((a) => a.currency === opts.target).map((a) => a.id);
  const foreign = accounts.filter((a) => a.currency !== opts.target).map((a) => a.id);
  const only = foreign.length ? native : undefined;
  const jobs: Promise<PayeeSum[]>[] = [];
  if (foreign.length) jobs.push(basePayeeSums(ex, ledgerId, r, topCondition(f, accounts, foreign), opts.target));
  if (native.length) {
    const cond = topCondition(f, accounts, only);
    if (f.kind === 'scan') jobs.push(basePayeeSums(ex, ledgerId, r, cond, undefined));
    else {
      const cov = coverage(r);
      for (const p of cov.partial) jobs.push(basePayeeSums(ex, ledgerId, p, cond, undefined));
      if (cov.months) {
        const [mFrom, mTo] = [monthStart(cov.months.from), monthStart(cov.months.to)];
        jobs.push(
          (f.kind === 'all'
            ? // The ledger-wide rollup, less the accounts in other currencies (converted row by row above).
              sql<Record<string, unknown>>`
                select r.payee_id, sum(r.amount_minor)::bigint as amount, sum(r.inflow_minor)::bigint as inflow, sum(r.row_count)::bigint as n
                  from (select payee_id, amount_minor, inflow_minor, row_count from report_ledger_payee_months
                         where ledger_id = ${ledgerId} and month between ${mFrom} and ${mTo}
                        ${foreign.length ? sql`union all
                        select payee_id, -amount_minor, -inflow_minor, -row_count from report_payee_months
                         where ledger_id = ${ledgerId} and month between ${mFrom} and ${mTo} and account_id in (${sql.join(foreign)})` : sql``}) r
                 group by r.payee_id
                having sum(r.row_count) <> 0`
            : sql<Record<string, unknown>>`
                select r.payee_id, sum(r.amount_minor)::bigint as amount, sum(r.inflow_minor)::bigint as inflow, sum(r.row_count)::bigint as n
                  from report_payee_months r
                 where r.ledger_id = ${ledgerId} and r.month between ${mFrom} and ${mTo}
                   and ${inAccounts('r.account_id', only)} and ${keyCondition(f, accounts, 'r.account_id', 'false') ?? none}
                 group by r.payee_id`
          ).execute(ex).then((res) => toPayeeSums(res.rows)),
        );
      }
    }
  }
  return { sums: (await Promise.all(jobs)).flat(), fromRollups: f.kind !== 'scan' };
}

/** Top-level sums per month and account over a range (native currencies; balances convert later). */
export async function accountSums(ex: Executor, ledgerId: string, r: DateRange, f: ReportFilter, accounts: AccountInfo[]): Promise<AccountSum[]> {
  const base = async (p: DateRange) =>
    (await sql<Record<string, unknown>>`
      select date_trunc('month', t.posted_on::timestamp)::date as month, t.account_id, sum(t.amount_minor)::bigint as s
        from transactions t
       where t.ledger_id = ${ledgerId} and t.parent_id is null and t.posted_on between ${p.from} and ${p.to} and ${topCondition(f, accounts, undefined)}
       group by 1, 2`.execute(ex)).rows;
  const jobs: Promise<Record<string, unknown>[]>[] = [];
  if (f.kind === 'scan') jobs.push(base(r));
  else {
    const cov = coverage(r);
    for (const p of cov.partial) jobs.push(base(p));
    if (cov.months) {
      const keys = keyCondition(f, accounts, 'r.account_id', 'r.is_transfer');
      jobs.push(sql<Record<string, unknown>>`
        select r.month, r.account_id, sum(r.amount_minor)::bigint as s from report_account_months r
         where r.ledger_id = ${ledgerId} and r.month between ${monthStart(cov.months.from)} and ${monthStart(cov.months.to)} and ${keys ?? none}
         group by 1, 2`.execute(ex).then((x) => x.rows));
    }
  }
  return (await Promise.all(jobs)).flat().map((x) => ({ month: month(x.month), account_id: x.account_id as string, amount: b(x.s) }));
}

/**
 * Per account: the sum of the matching top-level rows dated before `from`
 * (with a scan query, `touched` collects the accounts that have any).
 */
export async function sumsBefore(ex: Executor, ledgerId: string, from: string, f: ReportFilter, accounts: AccountInfo[], touched?: Set<string>): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>(accounts.map((a) => [a.id, 0n]));
  if (f.kind === 'scan') {
    const res = await sql<Record<string, unknown>>`
      select t.account_id, sum(t.amount_minor)::bigint as s from transactions t
       where t.ledger_id = ${ledgerId} and t.parent_id is null and t.posted_on < ${from} and ${f.where}
       group by 1`.execute(ex);
    for (const x of res.rows) {
      out.set(x.account_id as string, b(x.s));
      touched?.add(x.account_id as string);
    }
    return out;
  }
  const fm = monthStart(from.slice(0, 7));
  if (f.kind === 'keys') {
    // Rows of excluded keys count neither before nor after: read the rollups (and the part of from's month before it).
    const keys = keyCondition(f, accounts, 'r.account_id', 'r.is_transfer');
    const tkeys = keyCondition(f, accounts, 't.account_id', 't.transfer_peer_id is not null');
    const [whole, partial] = await Promise.all([
      sql<Record<string, unknown>>`
        select r.account_id, sum(r.amount_minor)::bigint as s from report_account_months r
         where r.ledger_id = ${ledgerId} and r.month < ${fm} and ${keys ?? none}
         group by 1`.execute(ex),
      sql<Record<string, unknown>>`
        select t.account_id, sum(t.amount_minor)::bigint as s from transactions t
         where t.ledger_id = ${ledgerId} and t.parent_id is null and t.posted_on >= ${fm} and t.posted_on < ${from} and ${tkeys ?? none}
         group by 1`.execute(ex),
    ]);
    for (const x of [...whole.rows, ...partial.rows]) out.set(x.account_id as string, (out.get(x.account_id as string) ?? 0n) + b(x.s));
    return out;
  }
  // Every row: the running total minus everything from `from` on (the rest of from's month from the rows, later months from the rollups).
  const [rest, later] = await Promise.all([
    sql<Record<string, unknown>>`
      select t.account_id, sum(t.amount_minor)::bigint as s from transactions t
       where t.ledger_id = ${ledgerId} and t.parent_id is null and t.posted_on >= ${from} and t.posted_on < (${fm}::date + interval '1 month')
       group by 1`.execute(ex),
    sql<Record<string, unknown>>`
      select r.account_id, sum(r.amount_minor)::bigint as s from report_account_months r
       where r.ledger_id = ${ledgerId} and r.month > ${fm}
       group by 1`.execute(ex),
  ]);
  for (const a of accounts) out.set(a.id, a.tx_sum_minor);
  for (const x of [...rest.rows, ...later.rows]) out.set(x.account_id as string, (out.get(x.account_id as string) ?? 0n) - b(x.s));
  return out;
}

export interface OpeningRow {
  account_id: string;
  amount: bigint;
  /** opened_on, or null: counted from the beginning. */
  on: string | null;
}

/**
 * Opening balances as the report counts them: a pseudo-transaction per account
 * on its opened_on date (or before every date) with no payee, category, notes
 * or tags, cleared state reconciled, not pending. A query applies to it like to
 * any transaction, so `account:visa` keeps Visa's opening and `payee:x` drops it.
 */
export async function openings(ex: Executor, ledgerId: string, f: ReportFilter, accounts: AccountInfo[]): Promise<OpeningRow[]> {
  if (f.kind === 'all') return accounts.map((a) => ({ account_id: a.id, amount: a.opening_balance_minor, on: a.opened_on }));
  if (f.kind === 'keys') return accounts.filter((a) => f.test(a.id, false)).map((a) => ({ account_id: a.id, amount: a.opening_balance_minor, on: a.opened_on }));
  const res = await sql<Record<string, unknown>>`
    select t.account_id, t.amount_minor, t.opened_on from (
      select a.id, a.ledger_id, a.id as account_id, coalesce(a.opened_on, '0001-01-01'::date) as posted_on, a.opened_on,
             a.opening_balance_minor as amount_minor, null::uuid as payee_id, null::uuid as category_id, null::text as notes,
             '{}'::text[] as tags, 'reconciled'::text as cleared_state, false as pending, false as is_split,
             null::uuid as transfer_peer_id, null::uuid as parent_id, ''::text as search_text
        from accounts a where a.ledger_id = ${ledgerId}) t
     where ${f.where}`.execute(ex);
  return res.rows.map((x) => ({ account_id: x.account_id as string, amount: b(x.amount_minor), on: (x.opened_on as string | null) ?? null }));
}
