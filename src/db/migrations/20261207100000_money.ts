// Issue 6, part "money": exchange rates (with the SQL conversion functions that
// reports use in bulk) and envelope budgets. The conversion arithmetic matches
// src/fx/fx-math.ts exactly (half away from zero on integer numerics); the
// lookup rule matches src/fx/rate-book.ts. See /docs/budgets.md.
import { sql, type Kysely } from 'kysely';
import { allCurrencyCodes, currencyExponent } from '../../money/currencies.ts';

const MAX = '9007199254740991';

export async function up(db: Kysely<any>): Promise<void> {
  const exponents = allCurrencyCodes().map((c) => `('${c}', ${currencyExponent(c)}, ${10 ** currencyExponent(c)})`).join(',\n  ');
  await sql.raw(`
-- ISO 4217 exponents as src/money/currencies.ts knows them (a test keeps the two equal).
create table fx_currencies (
  code text primary key check (code ~ '^[A-Z]{3}$'),
  exponent smallint not null check (exponent between 0 and 4),
  minor_per_major bigint not null
);
insert into fx_currencies (code, exponent, minor_per_major) values
  ${exponents};

create table fx_rates (
  id uuid primary key default gen_random_uuid(),
  ledger_id uuid not null references ledgers(id) on delete cascade,
  from_currency text not null references fx_currencies(code),
  to_currency text not null references fx_currencies(code),
  rate_date date not null,
  -- Units of to_currency per one unit of from_currency (major units), exact.
  rate numeric not null check (rate > 0 and rate < 1000000000000 and rate = trunc(rate, 12)),
  source text not null default 'manual' check (length(source) between 1 and 100),
  created_by uuid references users(id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (from_currency <> to_currency),
  unique (ledger_id, id),
  unique (ledger_id, from_currency, to_currency, rate_date)
);

-- n/d for integer numerics, rounded half away from zero; exact (div truncates exactly).
create function finhub_fx_round_div(n numeric, d numeric) returns numeric
  language sql immutable parallel safe as $$
  select case when d = 0 then null else sign(n) * sign(d) * div(2 * abs(n) + abs(d), 2 * abs(d)) end
$$;

-- One leg: the latest direct or inverse rate on or before p_on (later date wins, direct on a tie);
-- no row when neither exists. Plain SQL so that the planner inlines it into a lateral join.
create function finhub_fx_leg(p_ledger uuid, p_from text, p_to text, p_on date)
  returns table (num numeric, den numeric) language sql stable as $$
  select case when use_direct then trunc(d.rate * 1000000000000) * ut.minor_per_major else 1000000000000 * ut.minor_per_major end,
         case when use_direct then 1000000000000 * uf.minor_per_major else trunc(i.rate * 1000000000000) * uf.minor_per_major end
    from fx_currencies uf
    join fx_currencies ut on ut.code = p_to
    left join lateral (select r.rate_date, r.rate from fx_rates r
                        where r.ledger_id = p_ledger and r.from_currency = p_from and r.to_currency = p_to and r.rate_date <= p_on
                        order by r.rate_date desc limit 1) d on true
    left join lateral (select r.rate_date, r.rate from fx_rates r
                        where r.ledger_id = p_ledger and r.from_currency = p_to and r.to_currency = p_from and r.rate_date <= p_on
                        order by r.rate_date desc limit 1) i on true
    cross join lateral (select d.rate_date is not null and (i.rate_date is null or d.rate_date >= i.rate_date) as use_direct) c
   where uf.code = p_from and (d.rate_date is not null or i.rate_date is not null)
$$;

-- The factor from p_from to p_to on p_on: identity, a direct/inverse leg, or two legs through
-- the ledger's base currency. Exactly one row; num and den are null when no rate applies.
create function finhub_fx_factor(p_ledger uuid, p_from text, p_to text, p_on date)
  returns table (num numeric, den numeric) language sql stable as $$
  select case when p_from = p_to then 1 else coalesce(dl.num, tl.num) end,
         case when p_from = p_to then 1 else coalesce(dl.den, tl.den) end
    from (select 1) one
    left join lateral finhub_fx_leg(p_ledger, p_from, p_to, p_on) dl on p_from <> p_to
    left join lateral (
      select a.num * b.num as num, a.den * b.den as den
        from ledgers l
        cross join lateral finhub_fx_leg(p_ledger, p_from, l.base_currency::text, p_on) a
        cross join lateral finhub_fx_leg(p_ledger, l.base_currency::text, p_to, p_on) b
       where l.id = p_ledger and p_from <> l.base_currency::text and p_to <> l.base_currency::text
    ) tl on p_from <> p_to and dl.num is null
$$;

-- One amount in minor units; 0 for 0 (no rate needed); null when no rate applies; 22003 outside the stored range.
create function finhub_fx_convert(p_ledger uuid, p_amount bigint, p_from text, p_to text, p_on date) returns bigint
  language plpgsql stable as $$
declare
  r numeric;
begin
  if p_amount is null then return null; end if;
  -- A zero amount needs no rate.
  if p_amount = 0 then return 0; end if;
  select finhub_fx_round_div(p_amount::numeric * f.num, f.den) into r from finhub_fx_factor(p_ledger, p_from, p_to, p_on) f;
  if r is null then return null; end if;
  if abs(r) > ${MAX} then
    raise exception 'converted amount % is outside ±${MAX} minor units', r using errcode = '22003';
  end if;
  return r::bigint;
end $$;

-- Envelope budgets: the amount assigned to an expense category in a month
-- (minor units of \`currency\`, the ledger's base currency when it was set).
create table budget_assignments (
  ledger_id uuid not null,
  category_id uuid not null,
  month date not null check (extract(day from month) = 1),
  assigned_minor bigint not null check (assigned_minor between -${MAX} and ${MAX}),
  currency text not null references fx_currencies(code),
  updated_by uuid references users(id) on delete set null,
  updated_at timestamptz not null default now(),
  primary key (ledger_id, category_id, month),
  foreign key (ledger_id, category_id) references categories (ledger_id, id) on delete cascade
);
create index budget_assignments_month_idx on budget_assignments (ledger_id, month);

-- Per-category budgeting mode; no row means 'envelope'. In 'limit' mode limit_minor is the
-- standing monthly limit (a month's assignment, when set, overrides it for that month).
create table budget_category_settings (
  ledger_id uuid not null,
  category_id uuid not null,
  mode text not null default 'envelope' check (mode in ('envelope', 'limit')),
  limit_minor bigint check (limit_minor between 0 and ${MAX}),
  currency text not null references fx_currencies(code),
  updated_by uuid references users(id) on delete set null,
  updated_at timestamptz not null default now(),
  primary key (ledger_id, category_id),
  foreign key (ledger_id, category_id) references categories (ledger_id, id) on delete cascade
);
`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
drop table if exists budget_category_settings;
drop table if exists budget_assignments;
drop function if exists finhub_fx_convert(uuid, bigint, text, text, date);
drop function if exists finhub_fx_factor(uuid, text, text, date);
drop function if exists finhub_fx_leg(uuid, text, text, date);
drop function if exists finhub_fx_round_div(numeric, numeric);
drop table if exists fx_rates;
drop table if exists fx_currencies;
`).execute(db);
}
