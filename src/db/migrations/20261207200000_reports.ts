// Issue 6, part "reports": monthly rollups that make reports fast on years of
// data, and recurring-bill schedules with their alerts.
//
// The rollups are kept by the database in the same transaction as every change
// to `transactions`, the way the foundation keeps account sums: statement-level
// AFTER triggers read the statement's transition tables, aggregate them per key
// and apply one upsert per table and statement. A 50,000-row import costs a few
// aggregates, never a per-row function call. The tables hold sums only, so a
// report built on them is exactly the sum of the base rows it stands for
// (test/reports/rollups.test.ts proves they never drift).
//
//   report_category_months  (ledger, month, account, category, transfer or not)
//       over the LEAF rows: ordinary top-level rows and split parts (a split
//       parent is represented by its parts); spending, cash flow, trend, and
//       the budget's activity (src/budgets reads it for on-budget accounts).
//   report_account_months   (ledger, month, account, transfer or not)
//       over the top-level rows (equal to the leaf sums: parts share their
//       parent's account and date); balance history, net worth: a few rows
//       per month.
//   report_payee_months     (ledger, month, payee, account)
//       over the top-level rows that are not transfers (a split counts whole
//       for its payee); top payees.
//
// Every key is a column of the transaction row (the account stands for the
// currency), so the triggers read the transition tables only, never another
// table: inside a cascade (an account or ledger deleted) the parent rows are
// already gone. No foreign keys on the rollups either: the triggers alone keep
// them, and keys left without rows are removed by the update and delete
// triggers.
import { sql, type Kysely } from 'kysely';

const CADENCES = ['weekly', 'biweekly', 'monthly', 'quarterly', 'yearly'];
const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');
export const MONTH = `date_trunc('month', t.posted_on::timestamp)::date`;

// Each source is (key..., amount, inflow, row_count) rows of one transition table, signed.
const CATEGORY_ROWS = (table: string, sign: '' | '-') => `
  select t.ledger_id, ${MONTH} as month, t.account_id, t.category_id, t.transfer_peer_id is not null as is_transfer,
         ${sign}t.amount_minor as amount_minor, ${sign}greatest(t.amount_minor, 0) as inflow_minor, ${sign}1 as row_count
    from ${table} t
   where t.parent_id is not null or not t.is_split`;
const ACCOUNT_ROWS = (table: string, sign: '' | '-') => `
  select t.ledger_id, ${MONTH} as month, t.account_id, t.transfer_peer_id is not null as is_transfer,
         ${sign}t.amount_minor as amount_minor, ${sign}greatest(t.amount_minor, 0) as inflow_minor, ${sign}1 as row_count
    from ${table} t where t.parent_id is null`;
const PAYEE_ROWS = (table: string, sign: '' | '-') => `
  select t.ledger_id, ${MONTH} as month, t.payee_id, t.account_id,
         ${sign}t.amount_minor as amount_minor, ${sign}greatest(t.amount_minor, 0) as inflow_minor, ${sign}1 as row_count
    from ${table} t
   where t.parent_id is null and t.transfer_peer_id is null`;

export const TABLES = {
  report_category_months: { keys: ['ledger_id', 'month', 'account_id', 'category_id', 'is_transfer'], rows: CATEGORY_ROWS },
  report_account_months: { keys: ['ledger_id', 'month', 'account_id', 'is_transfer'], rows: ACCOUNT_ROWS },
  report_payee_months: { keys: ['ledger_id', 'month', 'payee_id', 'account_id'], rows: PAYEE_ROWS },
} as const;
type Table = keyof typeof TABLES;

/** One upsert that adds the signed sums of `source`, grouped by `keys`, into rollup `table`. */
export function upsertSql(table: string, keys: readonly string[], source: string): string {
  const k = keys.join(', ');
  return `
  insert into ${table} as r (${k}, amount_minor, inflow_minor, row_count)
  select ${k}, sum(amount_minor)::bigint, sum(inflow_minor)::bigint, sum(row_count)::bigint
    from (${source}) d
   group by ${k}
  having sum(row_count) <> 0 or sum(amount_minor) <> 0 or sum(inflow_minor) <> 0
  on conflict (${k}) do update
     set amount_minor = r.amount_minor + excluded.amount_minor,
         inflow_minor = r.inflow_minor + excluded.inflow_minor,
         row_count = r.row_count + excluded.row_count;`;
}

const upsert = (table: Table, source: string) => upsertSql(table, TABLES[table].keys, source);

const all = (f: (t: Table) => string) => (Object.keys(TABLES) as Table[]).map(f).join('\n');
const INSERT = all((t) => upsert(t, TABLES[t].rows('new_rows', '')));
const DELETE = all((t) => upsert(t, TABLES[t].rows('old_rows', '-')));
const UPDATE = all((t) => upsert(t, `${TABLES[t].rows('new_rows', '')} union all ${TABLES[t].rows('old_rows', '-')}`));
// Keys the statement's old rows left without rows (moved, deleted, a whole account or ledger gone).
const PRUNE = all((t) => `
  delete from ${t} r using (select distinct ledger_id, ${MONTH} as month from old_rows t) o
   where r.ledger_id = o.ledger_id and r.month = o.month and r.row_count = 0;`);

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
create table report_category_months (
  ledger_id uuid not null,
  month date not null check (extract(day from month) = 1),
  account_id uuid not null,
  category_id uuid,
  is_transfer boolean not null,
  amount_minor bigint not null,
  -- Sum of the positive amounts; the negative ones sum to amount_minor - inflow_minor.
  inflow_minor bigint not null,
  row_count bigint not null,
  constraint report_category_months_key unique nulls not distinct (ledger_id, month, account_id, category_id, is_transfer)
);

create table report_account_months (
  ledger_id uuid not null,
  month date not null check (extract(day from month) = 1),
  account_id uuid not null,
  is_transfer boolean not null,
  amount_minor bigint not null,
  inflow_minor bigint not null,
  row_count bigint not null,
  constraint report_account_months_key unique (ledger_id, month, account_id, is_transfer)
);

create table report_payee_months (
  ledger_id uuid not null,
  month date not null check (extract(day from month) = 1),
  payee_id uuid,
  account_id uuid not null,
  amount_minor bigint not null,
  inflow_minor bigint not null,
  row_count bigint not null,
  constraint report_payee_months_key unique nulls not distinct (ledger_id, month, payee_id, account_id)
);

create function finhub_report_rollups_ins() returns trigger language plpgsql as $$
begin
  ${INSERT}
  return null;
end $$;

create function finhub_report_rollups_del() returns trigger language plpgsql as $$
begin
  ${DELETE}
  ${PRUNE}
  return null;
end $$;

create function finhub_report_rollups_upd() returns trigger language plpgsql as $$
begin
  ${UPDATE}
  ${PRUNE}
  return null;
end $$;

create trigger transactions_report_rollups_ins after insert on transactions referencing new table as new_rows
  for each statement execute function finhub_report_rollups_ins();
create trigger transactions_report_rollups_del after delete on transactions referencing old table as old_rows
  for each statement execute function finhub_report_rollups_del();
create trigger transactions_report_rollups_upd after update on transactions referencing old table as old_rows new table as new_rows
  for each statement execute function finhub_report_rollups_upd();

-- Existing data (an upgrade): the rollups start from the rows already there.
${all((t) => upsert(t, TABLES[t].rows('transactions', '')))}

-- Recurring bills: a schedule says what is expected, when, and how far the amount may stray.
create table recurring_schedules (
  id uuid primary key default gen_random_uuid(),
  ledger_id uuid not null references ledgers(id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  payee_id uuid not null,
  account_id uuid,
  category_id uuid,
  -- Signed like a transaction: a bill is negative.
  expected_amount_minor bigint not null check (expected_amount_minor between -9007199254740991 and 9007199254740991),
  -- Allowed deviation of the amount, in basis points of the expected amount (1000 = 10%).
  tolerance_bp integer not null default 1000 check (tolerance_bp between 0 and 100000),
  cadence text not null check (cadence in (${list(CADENCES)})),
  -- Day of month month-based cadences fall on; month ends clamp.
  anchor_day integer not null check (anchor_day between 1 and 31),
  next_expected_on date not null,
  last_seen_on date,
  last_transaction_id uuid,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (ledger_id, id),
  foreign key (ledger_id, payee_id) references payees (ledger_id, id) on delete cascade,
  foreign key (ledger_id, account_id) references accounts (ledger_id, id) on delete cascade,
  foreign key (ledger_id, category_id) references categories (ledger_id, id) on delete set null (category_id)
);
create index recurring_schedules_ledger_idx on recurring_schedules (ledger_id, next_expected_on, id);

create table recurring_alerts (
  id uuid primary key default gen_random_uuid(),
  ledger_id uuid not null,
  schedule_id uuid not null,
  kind text not null check (kind in ('late', 'amount')),
  -- The occurrence the alert is about.
  expected_on date not null,
  expected_amount_minor bigint not null,
  actual_amount_minor bigint,
  transaction_id uuid,
  message text not null,
  created_at timestamptz not null default now(),
  dismissed_at timestamptz,
  unique (ledger_id, id),
  unique (schedule_id, kind, expected_on),
  foreign key (ledger_id, schedule_id) references recurring_schedules (ledger_id, id) on delete cascade
);
create index recurring_alerts_ledger_idx on recurring_alerts (ledger_id, created_at desc, id desc);
`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
drop table if exists recurring_alerts;
drop table if exists recurring_schedules;
drop trigger if exists transactions_report_rollups_ins on transactions;
drop trigger if exists transactions_report_rollups_del on transactions;
drop trigger if exists transactions_report_rollups_upd on transactions;
drop function if exists finhub_report_rollups_ins();
drop function if exists finhub_report_rollups_del();
drop function if exists finhub_report_rollups_upd();
drop table if exists report_payee_months;
drop table if exists report_account_months;
drop table if exists report_category_months;
`).execute(db);
}
