// Ledger-wide rollups: the category and payee sums of 20261207200000_reports
// without the account dimension. A household spreads each category over several
// accounts and cards, so a report over years read several times as many
// per-account rows as it needs; these tables hold one row per (ledger, month,
// category, transfer or not) and (ledger, month, payee).
//
// They add amounts of different accounts, so they mean something only when the
// accounts share a currency: the reports read them when every account of the
// ledger is in the report currency, and keep using the per-account tables
// otherwise (src/reports/reports.repository.ts, src/budgets).
//
// Kept like the others, by the same three statement triggers, whose functions
// are replaced here to write five tables instead of three.
import { sql, type Kysely } from 'kysely';
import { MONTH, TABLES, upsertSql as upsert } from './20261207200000_reports.ts';

type Rows = (table: string, sign: '' | '-') => string;

const LEDGER_CATEGORY_ROWS: Rows = (table, sign) => `
  select t.ledger_id, ${MONTH} as month, t.category_id, t.transfer_peer_id is not null as is_transfer,
         ${sign}t.amount_minor as amount_minor, ${sign}greatest(t.amount_minor, 0) as inflow_minor, ${sign}1 as row_count
    from ${table} t
   where t.parent_id is not null or not t.is_split`;
const LEDGER_PAYEE_ROWS: Rows = (table, sign) => `
  select t.ledger_id, ${MONTH} as month, t.payee_id,
         ${sign}t.amount_minor as amount_minor, ${sign}greatest(t.amount_minor, 0) as inflow_minor, ${sign}1 as row_count
    from ${table} t
   where t.parent_id is null and t.transfer_peer_id is null`;

const OLD: Record<string, { keys: readonly string[]; rows: Rows }> = TABLES;
const NEW: Record<string, { keys: readonly string[]; rows: Rows }> = {
  report_ledger_category_months: { keys: ['ledger_id', 'month', 'category_id', 'is_transfer'], rows: LEDGER_CATEGORY_ROWS },
  report_ledger_payee_months: { keys: ['ledger_id', 'month', 'payee_id'], rows: LEDGER_PAYEE_ROWS },
};

/** The three trigger functions over a set of rollup tables. */
function functions(tables: Record<string, { keys: readonly string[]; rows: Rows }>): string {
  const each = (f: (name: string, t: { keys: readonly string[]; rows: Rows }) => string) => Object.entries(tables).map(([n, t]) => f(n, t)).join('\n');
  const prune = each((n) => `
  delete from ${n} r using (select distinct ledger_id, ${MONTH} as month from old_rows t) o
   where r.ledger_id = o.ledger_id and r.month = o.month and r.row_count = 0;`);
  return `
create or replace function finhub_report_rollups_ins() returns trigger language plpgsql as $$
begin
  ${each((n, t) => upsert(n, t.keys, t.rows('new_rows', '')))}
  return null;
end $$;

create or replace function finhub_report_rollups_del() returns trigger language plpgsql as $$
begin
  ${each((n, t) => upsert(n, t.keys, t.rows('old_rows', '-')))}
  ${prune}
  return null;
end $$;

create or replace function finhub_report_rollups_upd() returns trigger language plpgsql as $$
begin
  ${each((n, t) => upsert(n, t.keys, `${t.rows('new_rows', '')} union all ${t.rows('old_rows', '-')}`))}
  ${prune}
  return null;
end $$;`;
}

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
create table report_ledger_category_months (
  ledger_id uuid not null,
  month date not null check (extract(day from month) = 1),
  category_id uuid,
  is_transfer boolean not null,
  amount_minor bigint not null,
  inflow_minor bigint not null,
  row_count bigint not null,
  constraint report_ledger_category_months_key unique nulls not distinct (ledger_id, month, category_id, is_transfer)
);

create table report_ledger_payee_months (
  ledger_id uuid not null,
  month date not null check (extract(day from month) = 1),
  payee_id uuid,
  amount_minor bigint not null,
  inflow_minor bigint not null,
  row_count bigint not null,
  constraint report_ledger_payee_months_key unique nulls not distinct (ledger_id, month, payee_id)
);

${functions({ ...OLD, ...NEW })}

-- Existing data: the new tables start from the rows already there.
${Object.entries(NEW).map(([n, t]) => upsert(n, t.keys, t.rows('transactions', ''))).join('\n')}
`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
${functions(OLD)}
drop table if exists report_ledger_payee_months;
drop table if exists report_ledger_category_months;
`).execute(db);
}
