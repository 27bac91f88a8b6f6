// Foundation schema: users and auth, ledgers and their books, audit, jobs.
// Invariants that must hold whatever code writes the rows live in the database:
// split sums and transfer pairs (deferred constraint triggers), account sums
// (statement triggers over transition tables), search text (row trigger).
import { sql, type Kysely } from 'kysely';

const ACCOUNT_TYPES = ['checking', 'savings', 'credit_card', 'cash', 'loan', 'investment', 'asset', 'liability'];
const MAX = '9007199254740991';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db);
  await sql.raw(`
create table system_settings (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now()
);

create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null check (length(email) between 3 and 320),
  display_name text not null,
  password_hash text not null,
  is_admin boolean not null default false,
  created_at timestamptz not null default now(),
  disabled_at timestamptz
);
create unique index users_email_key on users (lower(email));

create table sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  last_seen_at timestamptz not null default now(),
  user_agent text
);
create index sessions_user_idx on sessions (user_id);

create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  name text not null,
  token_hash text not null unique,
  token_prefix text not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  expires_at timestamptz,
  revoked_at timestamptz
);
create index api_tokens_user_idx on api_tokens (user_id, created_at desc, id desc);

create table ledgers (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  base_currency char(3) not null check (base_currency ~ '^[A-Z]{3}$'),
  created_by uuid references users(id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table ledger_members (
  ledger_id uuid not null references ledgers(id) on delete cascade,
  user_id uuid not null references users(id) on delete cascade,
  role text not null check (role in ('owner', 'editor', 'viewer')),
  created_at timestamptz not null default now(),
  primary key (ledger_id, user_id)
);
create index ledger_members_user_idx on ledger_members (user_id, ledger_id);

create table accounts (
  id uuid primary key default gen_random_uuid(),
  ledger_id uuid not null references ledgers(id) on delete cascade,
  name text not null,
  type text not null check (type in (${ACCOUNT_TYPES.map((t) => `'${t}'`).join(', ')})),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  opening_balance_minor bigint not null default 0 check (opening_balance_minor between -${MAX} and ${MAX}),
  opened_on date,
  closed boolean not null default false,
  -- Maintained by triggers on transactions: sum of top-level rows (split parts excluded).
  tx_sum_minor bigint not null default 0,
  cleared_sum_minor bigint not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (ledger_id, id)
);
create index accounts_ledger_idx on accounts (ledger_id, name, id);

create table category_groups (
  id uuid primary key default gen_random_uuid(),
  ledger_id uuid not null references ledgers(id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  is_income boolean not null default false,
  hidden boolean not null default false,
  sort_order integer not null default 0,
  created_at timestamptz not null default now(),
  unique (ledger_id, id)
);
create unique index category_groups_name_key on category_groups (ledger_id, lower(name));

create table categories (
  id uuid primary key default gen_random_uuid(),
  ledger_id uuid not null,
  group_id uuid not null,
  name text not null check (length(name) between 1 and 200),
  hidden boolean not null default false,
  sort_order integer not null default 0,
  created_at timestamptz not null default now(),
  unique (ledger_id, id),
  foreign key (ledger_id, group_id) references category_groups (ledger_id, id) on delete cascade
);
create unique index categories_name_key on categories (ledger_id, lower(name));

create table payees (
  id uuid primary key default gen_random_uuid(),
  ledger_id uuid not null references ledgers(id) on delete cascade,
  name text not null check (length(name) between 1 and 500),
  created_at timestamptz not null default now(),
  unique (ledger_id, id)
);
create unique index payees_name_key on payees (ledger_id, lower(name));
create index payees_name_trgm on payees using gin (lower(name) gin_trgm_ops);

-- Filled in by the import issue; the foundation only needs something to point at.
create table import_batches (
  id uuid primary key default gen_random_uuid(),
  ledger_id uuid not null references ledgers(id) on delete cascade,
  account_id uuid,
  created_at timestamptz not null default now(),
  unique (ledger_id, id)
);

create table transactions (
  id uuid primary key default gen_random_uuid(),
  ledger_id uuid not null,
  account_id uuid not null,
  posted_on date not null,
  amount_minor bigint not null check (amount_minor between -${MAX} and ${MAX}),
  payee_id uuid,
  category_id uuid,
  notes text check (length(notes) <= 10000),
  tags text[] not null default '{}',
  cleared_state text not null default 'uncleared' check (cleared_state in ('uncleared', 'cleared', 'reconciled')),
  imported_id text,
  import_batch_id uuid,
  parent_id uuid,
  is_split boolean not null default false,
  transfer_peer_id uuid,
  search_text text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (ledger_id, id),
  check (not (is_split and parent_id is not null)),
  check (transfer_peer_id is null or transfer_peer_id <> id),
  check (not (is_split and category_id is not null)),
  foreign key (ledger_id, account_id) references accounts (ledger_id, id) on delete cascade,
  foreign key (ledger_id, payee_id) references payees (ledger_id, id) on delete set null (payee_id),
  foreign key (ledger_id, category_id) references categories (ledger_id, id) on delete set null (category_id),
  foreign key (ledger_id, import_batch_id) references import_batches (ledger_id, id),
  foreign key (ledger_id, parent_id) references transactions (ledger_id, id) on delete cascade,
  foreign key (ledger_id, transfer_peer_id) references transactions (ledger_id, id) on delete cascade
);
create index transactions_ledger_date_idx on transactions (ledger_id, posted_on desc, id desc) where parent_id is null;
create index transactions_account_date_idx on transactions (account_id, posted_on desc, id desc) where parent_id is null;
create index transactions_category_date_idx on transactions (ledger_id, category_id, posted_on desc, id desc);
create index transactions_payee_date_idx on transactions (ledger_id, payee_id, posted_on desc, id desc);
create index transactions_parent_idx on transactions (parent_id) where parent_id is not null;
create index transactions_peer_idx on transactions (transfer_peer_id) where transfer_peer_id is not null;
create index transactions_imported_idx on transactions (account_id, imported_id) where imported_id is not null;
create index transactions_batch_idx on transactions (import_batch_id) where import_batch_id is not null;
create index transactions_search_trgm on transactions using gin (search_text gin_trgm_ops);

-- search_text = lower(payee name || ' ' || notes), kept by the database itself.
create function finhub_tx_search_text() returns trigger language plpgsql as $$
begin
  new.search_text := lower(coalesce((select name from payees where id = new.payee_id), '') || ' ' || coalesce(new.notes, ''));
  return new;
end $$;
create trigger transactions_search_text before insert or update of payee_id, notes on transactions
  for each row execute function finhub_tx_search_text();

create function finhub_payee_renamed() returns trigger language plpgsql as $$
begin
  update transactions set search_text = lower(new.name || ' ' || coalesce(notes, ''))
   where ledger_id = new.ledger_id and payee_id = new.id;
  return null;
end $$;
create trigger payees_renamed after update of name on payees
  for each row when (old.name is distinct from new.name) execute function finhub_payee_renamed();

-- Account sums over top-level rows, one UPDATE per statement.
create function finhub_tx_sums_ins() returns trigger language plpgsql as $$
begin
  update accounts a set tx_sum_minor = a.tx_sum_minor + s.total, cleared_sum_minor = a.cleared_sum_minor + s.cleared
    from (select account_id, sum(amount_minor) as total,
                 coalesce(sum(amount_minor) filter (where cleared_state <> 'uncleared'), 0) as cleared
            from new_rows where parent_id is null group by account_id) s
   where a.id = s.account_id;
  return null;
end $$;
create function finhub_tx_sums_del() returns trigger language plpgsql as $$
begin
  update accounts a set tx_sum_minor = a.tx_sum_minor - s.total, cleared_sum_minor = a.cleared_sum_minor - s.cleared
    from (select account_id, sum(amount_minor) as total,
                 coalesce(sum(amount_minor) filter (where cleared_state <> 'uncleared'), 0) as cleared
            from old_rows where parent_id is null group by account_id) s
   where a.id = s.account_id;
  return null;
end $$;
create function finhub_tx_sums_upd() returns trigger language plpgsql as $$
begin
  update accounts a set tx_sum_minor = a.tx_sum_minor + s.total, cleared_sum_minor = a.cleared_sum_minor + s.cleared
    from (select account_id, sum(total) as total, sum(cleared) as cleared from (
            select account_id, amount_minor as total,
                   case when cleared_state <> 'uncleared' then amount_minor else 0 end as cleared
              from new_rows where parent_id is null
            union all
            select account_id, -amount_minor,
                   case when cleared_state <> 'uncleared' then -amount_minor else 0 end
              from old_rows where parent_id is null) d group by account_id) s
   where a.id = s.account_id;
  return null;
end $$;
create trigger transactions_sums_ins after insert on transactions referencing new table as new_rows
  for each statement execute function finhub_tx_sums_ins();
create trigger transactions_sums_del after delete on transactions referencing old table as old_rows
  for each statement execute function finhub_tx_sums_del();
create trigger transactions_sums_upd after update on transactions referencing old table as old_rows new table as new_rows
  for each statement execute function finhub_tx_sums_upd();

-- Split and transfer invariants, checked at commit so a transaction may pass
-- through intermediate states (insert parent, then parts).
create function finhub_check_split(p_parent uuid) returns void language plpgsql as $$
declare
  parent record;
  parts_sum numeric;
  parts_count integer;
  bad_parts integer;
begin
  select id, amount_minor, is_split, account_id, posted_on into parent from transactions where id = p_parent;
  if not found then return; end if;
  select coalesce(sum(amount_minor), 0), count(*),
         count(*) filter (where account_id <> parent.account_id or posted_on <> parent.posted_on)
    into parts_sum, parts_count, bad_parts
    from transactions where parent_id = p_parent;
  if parts_count > 0 and not parent.is_split then
    raise exception 'transaction % has split parts but is not marked as split', p_parent
      using errcode = '23514', constraint = 'transactions_split_sum';
  end if;
  if parent.is_split and parts_count = 0 then
    raise exception 'split transaction % has no parts', p_parent
      using errcode = '23514', constraint = 'transactions_split_sum';
  end if;
  if parent.is_split and parts_sum <> parent.amount_minor then
    raise exception 'split parts of % sum to % but the transaction amount is %', p_parent, parts_sum, parent.amount_minor
      using errcode = '23514', constraint = 'transactions_split_sum';
  end if;
  if bad_parts > 0 then
    raise exception 'split parts of % must share its account and date', p_parent
      using errcode = '23514', constraint = 'transactions_split_sum';
  end if;
end $$;

create function finhub_check_transfer(p_id uuid) returns void language plpgsql as $$
declare
  a record;
  b record;
  ca text;
  cb text;
begin
  select t.*, acc.currency into a from transactions t join accounts acc on acc.id = t.account_id where t.id = p_id;
  if not found or a.transfer_peer_id is null then return; end if;
  select t.*, acc.currency into b from transactions t join accounts acc on acc.id = t.account_id where t.id = a.transfer_peer_id;
  if not found then
    raise exception 'transfer % points at a missing peer', p_id using errcode = '23514', constraint = 'transactions_transfer_pair';
  end if;
  if b.transfer_peer_id is distinct from a.id then
    raise exception 'transfer % and % do not point at each other', a.id, b.id using errcode = '23514', constraint = 'transactions_transfer_pair';
  end if;
  if a.account_id = b.account_id then
    raise exception 'transfer % moves money within one account', a.id using errcode = '23514', constraint = 'transactions_transfer_pair';
  end if;
  if a.parent_id is not null or b.parent_id is not null or a.is_split or b.is_split then
    raise exception 'transfer % may not be a split or a split part', a.id using errcode = '23514', constraint = 'transactions_transfer_pair';
  end if;
  if a.posted_on <> b.posted_on then
    raise exception 'transfer % and % have different dates', a.id, b.id using errcode = '23514', constraint = 'transactions_transfer_pair';
  end if;
  if a.currency = b.currency then
    if a.amount_minor <> -b.amount_minor then
      raise exception 'transfer % amounts % and % do not cancel out', a.id, a.amount_minor, b.amount_minor
        using errcode = '23514', constraint = 'transactions_transfer_pair';
    end if;
  elsif sign(a.amount_minor) <> -sign(b.amount_minor) then
    raise exception 'cross-currency transfer % must move money out of one account and into the other', a.id
      using errcode = '23514', constraint = 'transactions_transfer_pair';
  end if;
end $$;

create function finhub_tx_invariants() returns trigger language plpgsql as $$
begin
  if tg_op in ('INSERT', 'UPDATE') then
    if new.is_split then perform finhub_check_split(new.id); end if;
    if new.parent_id is not null then perform finhub_check_split(new.parent_id); end if;
    if new.transfer_peer_id is not null then perform finhub_check_transfer(new.id); end if;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    if old.parent_id is not null then perform finhub_check_split(old.parent_id); end if;
    if old.transfer_peer_id is not null then
      -- The peer still pointing at a row that no longer claims it is a broken pair.
      if exists (select 1 from transactions p where p.id = old.transfer_peer_id and p.transfer_peer_id = old.id
                 and not exists (select 1 from transactions s where s.id = old.id and s.transfer_peer_id = p.id)) then
        raise exception 'transfer peer % was left without its other side', old.transfer_peer_id
          using errcode = '23514', constraint = 'transactions_transfer_pair';
      end if;
    end if;
  end if;
  return null;
end $$;
create constraint trigger transactions_invariants_ins after insert on transactions
  deferrable initially deferred for each row
  when (new.parent_id is not null or new.is_split or new.transfer_peer_id is not null)
  execute function finhub_tx_invariants();
create constraint trigger transactions_invariants_upd after update on transactions
  deferrable initially deferred for each row
  when (new.parent_id is not null or new.is_split or new.transfer_peer_id is not null
        or old.parent_id is not null or old.is_split or old.transfer_peer_id is not null)
  execute function finhub_tx_invariants();
create constraint trigger transactions_invariants_del after delete on transactions
  deferrable initially deferred for each row
  when (old.parent_id is not null or old.transfer_peer_id is not null)
  execute function finhub_tx_invariants();

create table audit_events (
  id uuid primary key default gen_random_uuid(),
  at timestamptz not null default now(),
  actor_user_id uuid references users(id) on delete set null,
  ledger_id uuid references ledgers(id) on delete cascade,
  action text not null,
  entity_type text not null,
  entity_id text,
  request_id text,
  details jsonb not null default '{}'
);
create index audit_events_ledger_idx on audit_events (ledger_id, at desc);
create index audit_events_at_idx on audit_events (at desc);

create table jobs (
  id uuid primary key default gen_random_uuid(),
  queue text not null default 'default',
  name text not null,
  payload jsonb not null default '{}',
  state text not null default 'queued' check (state in ('queued', 'running', 'succeeded', 'dead', 'cancelled')),
  priority integer not null default 0,
  run_at timestamptz not null default now(),
  attempts integer not null default 0,
  max_attempts integer not null default 5 check (max_attempts >= 1),
  lease_owner text,
  lease_expires_at timestamptz,
  last_error text,
  result jsonb,
  dedupe_key text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);
create index jobs_due_idx on jobs (queue, priority desc, run_at, id) where state = 'queued';
create index jobs_lease_idx on jobs (lease_expires_at) where state = 'running';
create index jobs_state_idx on jobs (state, finished_at);
create unique index jobs_dedupe_key on jobs (dedupe_key) where dedupe_key is not null and state in ('queued', 'running');

create table job_schedules (
  name text primary key,
  cron text not null,
  job_name text not null,
  queue text not null default 'default',
  payload jsonb not null default '{}',
  enabled boolean not null default true,
  next_run_at timestamptz not null,
  last_enqueued_at timestamptz,
  updated_at timestamptz not null default now()
);
`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
drop table if exists job_schedules;
drop table if exists jobs;
drop table if exists audit_events;
drop table if exists transactions cascade;
drop function if exists finhub_tx_invariants();
drop function if exists finhub_check_transfer(uuid);
drop function if exists finhub_check_split(uuid);
drop function if exists finhub_tx_sums_ins();
drop function if exists finhub_tx_sums_del();
drop function if exists finhub_tx_sums_upd();
drop function if exists finhub_tx_search_text();
drop table if exists import_batches;
drop table if exists payees cascade;
drop function if exists finhub_payee_renamed();
drop table if exists categories;
drop table if exists category_groups;
drop table if exists accounts;
drop table if exists ledger_members;
drop table if exists ledgers;
drop table if exists api_tokens;
drop table if exists sessions;
drop table if exists users;
drop table if exists system_settings;
`).execute(db);
}
