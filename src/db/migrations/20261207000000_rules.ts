// Issue 6 (money management), part "rules": categorisation rules, the record
// of users' recategorisations that rule suggestions are drawn from, and the
// decisions taken on suggestions.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
-- A rule: when a transaction matches the condition (query-language text,
-- docs/query-language.md), its actions are applied. Rules run by stage
-- (pre, default, post), then position, then age.
create table rules (
  id uuid primary key default gen_random_uuid(),
  ledger_id uuid not null references ledgers(id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  stage text not null default 'default' check (stage in ('pre', 'default', 'post')),
  position integer not null default 0 check (position between -1000000 and 1000000),
  enabled boolean not null default true,
  condition text not null check (length(condition) <= 1000),
  -- [{ "type": "set_category", "category_id": … }, …]; validated by src/rules/actions.ts.
  actions jsonb not null check (jsonb_typeof(actions) = 'array' and jsonb_array_length(actions) between 1 and 20),
  created_by uuid references users(id) on delete set null,
  created_at timestamptz not null default now(),
  updated_by uuid references users(id) on delete set null,
  updated_at timestamptz not null default now(),
  unique (ledger_id, id)
);
create unique index rules_name_key on rules (ledger_id, lower(name));
create index rules_order_idx on rules (ledger_id, stage, position, created_at, id);

-- The last time a user (not a rule) gave a transaction with a payee a
-- category, one row per transaction. Written by the trigger below whatever
-- code path changed the category; the rules engine marks its own updates
-- with the transaction-local setting finhub.rules_apply = 'on'.
create table rule_recategorizations (
  transaction_id uuid primary key,
  ledger_id uuid not null,
  payee_id uuid not null,
  category_id uuid not null,
  from_category_id uuid,
  at timestamptz not null default now(),
  foreign key (ledger_id, transaction_id) references transactions (ledger_id, id) on delete cascade,
  foreign key (ledger_id, payee_id) references payees (ledger_id, id) on delete cascade,
  foreign key (ledger_id, category_id) references categories (ledger_id, id) on delete cascade
);
create index rule_recategorizations_pair_idx on rule_recategorizations (ledger_id, payee_id, category_id);
create index rule_recategorizations_category_idx on rule_recategorizations (ledger_id, category_id);

create function finhub_rules_recategorized() returns trigger language plpgsql as $$
begin
  insert into rule_recategorizations (transaction_id, ledger_id, payee_id, category_id, from_category_id)
  values (new.id, new.ledger_id, new.payee_id, new.category_id, old.category_id)
  on conflict (transaction_id) do update
    set payee_id = excluded.payee_id, category_id = excluded.category_id,
        from_category_id = excluded.from_category_id, at = now();
  return null;
end $$;
create trigger transactions_recategorized after update of category_id on transactions
  for each row
  when (new.category_id is not null and old.category_id is distinct from new.category_id
        and new.payee_id is not null and new.parent_id is null
        and coalesce(current_setting('finhub.rules_apply', true), '') <> 'on')
  execute function finhub_rules_recategorized();

-- A suggestion (payee -> category) the user accepted (a rule was made) or dismissed; not offered again.
create table rule_suggestion_decisions (
  ledger_id uuid not null,
  payee_id uuid not null,
  category_id uuid not null,
  decision text not null check (decision in ('accepted', 'dismissed')),
  rule_id uuid,
  decided_by uuid references users(id) on delete set null,
  decided_at timestamptz not null default now(),
  primary key (ledger_id, payee_id, category_id),
  foreign key (ledger_id, payee_id) references payees (ledger_id, id) on delete cascade,
  foreign key (ledger_id, category_id) references categories (ledger_id, id) on delete cascade,
  foreign key (ledger_id, rule_id) references rules (ledger_id, id) on delete set null (rule_id)
);
create index rule_suggestion_decisions_category_idx on rule_suggestion_decisions (ledger_id, category_id);
create index rule_suggestion_decisions_rule_idx on rule_suggestion_decisions (rule_id) where rule_id is not null;
`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
drop table if exists rule_suggestion_decisions;
drop trigger if exists transactions_recategorized on transactions;
drop function if exists finhub_rules_recategorized();
drop table if exists rule_recategorizations;
drop table if exists rules;
`).execute(db);
}
