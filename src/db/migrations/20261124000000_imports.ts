// Statement imports: batches with their stored preview (import_rows), saved CSV
// mappings per account, and the transaction columns dedupe and undo need.
//
// Why the preview lives in the database: commit is "commit batch X", so the
// rows the user saw are exactly the rows written, whichever server process
// handles the commit. Previews expire (expires_at); committed batches keep
// their rows so undo and the reasons stay available.
import { sql, type Kysely } from 'kysely';

const DECISIONS = ['new', 'duplicate', 'conflict', 'skipped', 'replace_pending'];
const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
alter table import_batches
  add column status text not null default 'committed' check (status in ('previewed', 'committed', 'undone', 'expired')),
  add column file_name text check (length(file_name) <= 500),
  add column file_sha256 text check (file_sha256 ~ '^[0-9a-f]{64}$'),
  add column format text,
  add column encoding jsonb,
  add column size_bytes bigint not null default 0,
  add column currency char(3),
  add column statement_account jsonb not null default '{}',
  add column stated_balances jsonb not null default '[]',
  add column period_start date,
  add column period_end date,
  add column dedupe_window_days integer not null default 3 check (dedupe_window_days between 0 and 60),
  add column count_total integer not null default 0,
  add column count_new integer not null default 0,
  add column count_duplicate integer not null default 0,
  add column count_conflict integer not null default 0,
  add column count_skipped integer not null default 0,
  add column count_pending_replaced integer not null default 0,
  add column balance_check jsonb,
  add column csv_mapping jsonb,
  add column warnings jsonb not null default '[]',
  add column candidates_fingerprint text,
  add column account_before jsonb,
  add column transfer_suggestions jsonb not null default '[]',
  add column undo_report jsonb,
  add column created_by uuid references users(id) on delete set null,
  add column expires_at timestamptz,
  add column committed_at timestamptz,
  add column committed_by uuid references users(id) on delete set null,
  add column undone_at timestamptz,
  add column undone_by uuid references users(id) on delete set null,
  add constraint import_batches_account_fk foreign key (ledger_id, account_id) references accounts (ledger_id, id) on delete cascade;
create index import_batches_ledger_idx on import_batches (ledger_id, created_at desc, id desc);
create index import_batches_expiry_idx on import_batches (expires_at) where status = 'previewed';
create index import_batches_hash_idx on import_batches (account_id, file_sha256) where status = 'committed';

-- One row per statement row, decided at preview. tx_id is the id the new
-- transaction gets at commit (chosen at preview so commit needs no write-back),
-- or the existing row a replace_pending decision updates.
-- No foreign key to import_batches: a per-row RI check would cost more than
-- the rest of the insert for a 100k-row file; a statement trigger on
-- import_batches deletes a batch's rows instead.
create table import_rows (
  batch_id uuid not null,
  row_index integer not null,
  source_line integer not null,
  posted_on date not null,
  amount_minor bigint not null,
  payee text,
  memo text,
  bank_id text,
  check_number text,
  pending boolean not null default false,
  kind text,
  decision text not null check (decision in (${list(DECISIONS)})),
  proposed text not null check (proposed in (${list(DECISIONS)})),
  reason_code text not null,
  reason text not null,
  matched_transaction_id uuid,
  tx_id uuid,
  -- replace_pending: the pending row's values before it was replaced (for undo).
  prior jsonb,
  primary key (batch_id, row_index)
);

create function finhub_import_batches_deleted() returns trigger language plpgsql as $$
begin
  delete from import_rows r using old_rows o where r.batch_id = o.id;
  return null;
end $$;
create trigger import_batches_rows_cleanup after delete on import_batches referencing old table as old_rows
  for each statement execute function finhub_import_batches_deleted();

create table csv_mappings (
  ledger_id uuid not null,
  account_id uuid not null primary key,
  options jsonb not null,
  updated_at timestamptz not null default now(),
  updated_by uuid references users(id) on delete set null,
  foreign key (ledger_id, account_id) references accounts (ledger_id, id) on delete cascade
);

alter table transactions
  add column pending boolean not null default false,
  add column import_payee_raw text check (length(import_payee_raw) <= 1000),
  add column import_edited_at timestamptz;

-- No new index for dedupe: it reads an account's rows over a date range with
-- hashed amount / bank-id filters, which transactions_account_date_idx serves
-- (an (account_id, amount_minor, posted_on) index went unused on a 1M-row
-- ledger and only slowed every insert).

-- search_text: a bulk insert (an import commit) fills it in the INSERT itself
-- from the payee names it just resolved, so the per-row lookup trigger runs
-- only for inserts that leave it empty (the default, every other code path).
-- That trigger was half the cost of inserting 10k imported rows.
drop trigger transactions_search_text on transactions;
create trigger transactions_search_text_ins before insert on transactions
  for each row when (new.search_text = '') execute function finhub_tx_search_text();
create trigger transactions_search_text_upd before update of payee_id, notes on transactions
  for each row execute function finhub_tx_search_text();

-- "Edited since import": any user-visible change to an imported row stamps
-- import_edited_at, whatever code path made it. An updater that sets the
-- column itself (undo restoring a replaced pending row) keeps its value.
create function finhub_tx_import_edited() returns trigger language plpgsql as $$
begin
  if new.import_edited_at is not distinct from old.import_edited_at then
    new.import_edited_at := clock_timestamp();
  end if;
  return new;
end $$;
create trigger transactions_import_edited before update on transactions
  for each row
  when (old.import_batch_id is not null and
        (old.posted_on, old.amount_minor, old.payee_id, old.category_id, old.notes, old.tags, old.cleared_state,
         old.is_split, old.transfer_peer_id, old.account_id)
        is distinct from
        (new.posted_on, new.amount_minor, new.payee_id, new.category_id, new.notes, new.tags, new.cleared_state,
         new.is_split, new.transfer_peer_id, new.account_id))
  execute function finhub_tx_import_edited();
`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
drop trigger if exists transactions_import_edited on transactions;
drop trigger if exists transactions_search_text_ins on transactions;
drop trigger if exists transactions_search_text_upd on transactions;
create trigger transactions_search_text before insert or update of payee_id, notes on transactions
  for each row execute function finhub_tx_search_text();
drop function if exists finhub_tx_import_edited();
alter table transactions drop column if exists pending, drop column if exists import_payee_raw, drop column if exists import_edited_at;
drop table if exists csv_mappings;
drop trigger if exists import_batches_rows_cleanup on import_batches;
drop function if exists finhub_import_batches_deleted();
drop table if exists import_rows;
drop index if exists import_batches_ledger_idx;
drop index if exists import_batches_expiry_idx;
drop index if exists import_batches_hash_idx;
alter table import_batches
  drop constraint if exists import_batches_account_fk,
  drop column if exists status, drop column if exists file_name, drop column if exists file_sha256, drop column if exists format,
  drop column if exists encoding, drop column if exists size_bytes, drop column if exists currency, drop column if exists statement_account,
  drop column if exists stated_balances, drop column if exists period_start, drop column if exists period_end,
  drop column if exists dedupe_window_days, drop column if exists count_total, drop column if exists count_new,
  drop column if exists count_duplicate, drop column if exists count_conflict, drop column if exists count_skipped,
  drop column if exists count_pending_replaced, drop column if exists balance_check, drop column if exists csv_mapping,
  drop column if exists warnings, drop column if exists candidates_fingerprint, drop column if exists account_before,
  drop column if exists transfer_suggestions, drop column if exists undo_report, drop column if exists created_by,
  drop column if exists expires_at, drop column if exists committed_at, drop column if exists committed_by,
  drop column if exists undone_at, drop column if exists undone_by;
`).execute(db);
}
