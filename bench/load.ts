// Set-based bulk loader for the benchmark: every ledger's transactions are made
// by `insert ... select ... from generate_series` inside the database, so 1M rows
// never cross the wire. Every trigger of the foundation schema stays active
// (search_text, account sums, split/transfer invariants); only the secondary
// indexes of `transactions` may be dropped during the load and recreated from
// their exact definitions afterwards (--load-indexes rebuild), which is what a
// pg_restore does and is far faster than maintaining a trigram GIN row by row.
// The sparse partial indexes (parent_id, transfer_peer_id, ...) are kept.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/db/schema.ts';
import { ACCOUNTS, CATEGORY_GROUPS, COMMON_NOTES, INCOME_PAYEES, NOTE_RATES, PAYEE_COUNT, payeeFixtures, TRANSFER_ROUTES } from './fixtures.ts';

export interface LedgerSpec {
  id: string;
  ord: number;
  name: string;
  /** Top-level rows (what the list endpoint shows): ordinary rows, both sides of transfers, split parents. */
  rows: number;
  big: boolean;
}

export interface LoadOptions {
  userId: string;
  ledgers: LedgerSpec[];
  /** 'rebuild' drops the secondary indexes of transactions during the load and recreates them. */
  indexMode: 'rebuild' | 'keep';
  /** Rows per INSERT statement for ordinary rows. */
  chunk?: number;
  log?: (msg: string) => void;
}

export interface LoadResult {
  seconds: number;
  phases: Record<string, number>;
  indexesRebuilt: string[];
}

const TRANSFER_SHARE = 0.015; // pairs per top-level row -> 3% of rows are transfer sides
const SPLIT_SHARE = 0.01; // split parents per top-level row, each with 2 parts

export function ledgerComposition(rows: number) {
  const transferPairs = Math.floor(rows * TRANSFER_SHARE);
  const splits = Math.floor(rows * SPLIT_SHARE);
  return { transferPairs, splits, ordinary: rows - 2 * transferPairs - splits, splitParts: 2 * splits };
}

export function makeLedgerSpecs(scale: 'full' | 'small'): LedgerSpec[] {
  const smallCount = scale === 'full' ? 100 : 10;
  const smallRows = scale === 'full' ? 10_000 : 2_000;
  const bigRows = scale === 'full' ? 200_000 : 20_000;
  const specs: LedgerSpec[] = [{ id: randomUUID(), ord: 0, name: 'Big Household', rows: bigRows, big: true }];
  for (let i = 1; i <= smallCount; i++) specs.push({ id: randomUUID(), ord: i, name: `Household ${String(i).padStart(3, '0')}`, rows: smallRows, big: false });
  return specs;
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** SQL CASE mapping a uniform random r to an index by cumulative weights. */
function weightedCase(r: string, weights: number[]): string {
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  const whens = weights.slice(0, -1).map((w, i) => {
    acc += w / total;
    return `when ${r} < ${acc.toFixed(6)} then ${i}`;
  });
  return `(case ${whens.join(' ')} else ${weights.length - 1} end)`;
}

export async function loadData(kysely: Kysely<Database>, opts: LoadOptions): Promise<LoadResult> {
  const log = opts.log ?? (() => {});
  const chunk = opts.chunk ?? 50_000;
  const phases: Record<string, number> = {};
  const started = performance.now();
  let indexesRebuilt: string[] = [];

  // One pinned connection: temp tables and setseed() live in the session.
  await kysely.connection().execute(async (db) => {
    const phase = async (name: string, fn: () => Promise<void>) => {
      const t = performance.now();
      await fn();
      phases[name] = (phases[name] ?? 0) + (performance.now() - t) / 1000;
    };
    const run = (text: string) => sql.raw(text).execute(db);

    await run(`set maintenance_work_mem = '512MB'`);
    await run(`select setseed(0.4242)`);

    await phase('reference', async () => {
      const ledgersJson = JSON.stringify(opts.ledgers.map((l) => ({ id: l.id, ord: l.ord, name: l.name })));
      await sql`insert into ledgers (id, name, base_currency, created_by)
                select x.id, x.name, 'USD', ${opts.userId}::uuid from jsonb_to_recordset(${ledgersJson}::jsonb) as x(id uuid, ord int, name text)`.execute(db);
      await sql`create temp table bench_ledger as select x.id, x.ord from jsonb_to_recordset(${ledgersJson}::jsonb) as x(id uuid, ord int, name text)`.execute(db);
      await sql`insert into ledger_members (ledger_id, user_id, role) select id, ${opts.userId}::uuid, 'owner' from bench_ledger`.execute(db);

      const accJson = JSON.stringify(ACCOUNTS.map((a, ord) => ({ ord, name: a.name, type: a.type, opening: a.openingMinor })));
      await sql`insert into accounts (ledger_id, name, type, currency, opening_balance_minor, opened_on)
                select l.id, a.name, a.type, 'USD', a.opening, current_date - 3660
                  from bench_ledger l cross join jsonb_to_recordset(${accJson}::jsonb) as a(ord int, name text, type text, opening bigint)`.execute(db);
      await sql`create temp table bench_acc as
                select a.ledger_id, f.ord, a.id from accounts a
                  join jsonb_to_recordset(${accJson}::jsonb) as f(ord int, name text, type text, opening bigint) on f.name = a.name
                 where a.ledger_id in (select id from bench_ledger)`.execute(db);

      const groupJson = JSON.stringify(CATEGORY_GROUPS.map((g, ord) => ({ ord, name: g.name, income: g.isIncome })));
      await sql`insert into category_groups (ledger_id, name, is_income, sort_order)
                select l.id, g.name, g.income, g.ord from bench_ledger l cross join jsonb_to_recordset(${groupJson}::jsonb) as g(ord int, name text, income boolean)`.execute(db);
      let ord = 0;
      const catJson = JSON.stringify(CATEGORY_GROUPS.flatMap((g) => g.categories.map((name, k) => ({ ord: ord++, grp: g.name, name, sort: k }))));
      await sql`insert into categories (ledger_id, group_id, name, sort_order)
                select g.ledger_id, g.id, c.name, c.sort
                  from jsonb_to_recordset(${catJson}::jsonb) as c(ord int, grp text, name text, sort int)
                  join category_groups g on g.name = c.grp
                 where g.ledger_id in (select id from bench_ledger)`.execute(db);
      await sql`create temp table bench_cat as
                select c.ledger_id, f.ord, c.id from categories c
                  join jsonb_to_recordset(${catJson}::jsonb) as f(ord int, grp text, name text, sort int) on f.name = c.name
                 where c.ledger_id in (select id from bench_ledger)`.execute(db);

      const payJson = JSON.stringify(payeeFixtures().map((p, ord) => ({ ord, name: p.name, cat: p.category })));
      await sql`insert into payees (ledger_id, name)
                select l.id, p.name from bench_ledger l cross join jsonb_to_recordset(${payJson}::jsonb) as p(ord int, name text, cat int)`.execute(db);
      await sql`create temp table bench_pay as
                select p.ledger_id, f.ord, f.cat as cat_ord, p.id from payees p
                  join jsonb_to_recordset(${payJson}::jsonb) as f(ord int, name text, cat int) on f.name = p.name
                 where p.ledger_id in (select id from bench_ledger)`.execute(db);
      for (const t of ['bench_acc', 'bench_cat', 'bench_pay']) {
        await run(`create index on ${t} (ledger_id, ord)`);
        await run(`analyze ${t}`);
      }
    });
    log(`reference data loaded (${opts.ledgers.length} ledgers)`);

    // Secondary indexes of transactions (not backing a constraint), recreated after the load.
    let dropped: { name: string; def: string }[] = [];
    if (opts.indexMode === 'rebuild') {
      await phase('drop_indexes', async () => {
        const r = await sql<{ indexname: string; indexdef: string }>`
          select indexname, indexdef from pg_indexes
           where schemaname = current_schema() and tablename = 'transactions'
             and indexname not in (select conname from pg_constraint where conrelid = 'transactions'::regclass)
           order by indexname`.execute(db);
        // Sparse partial indexes (`where x is not null`) stay: they are cheap, and the
        // deferred split/transfer triggers look rows up through them at every commit.
        dropped = r.rows.filter((x) => !/ WHERE \(\w+ IS NOT NULL\)$/i.test(x.indexdef)).map((x) => ({ name: x.indexname, def: x.indexdef }));
        for (const ix of dropped) await run(`drop index ${ix.name}`);
      });
      log(`dropped ${dropped.length} secondary indexes for the load`);
    }

    try {
      const accCase = weightedCase('r1', ACCOUNTS.map((a) => a.expenseWeight));
      const routeCase = weightedCase('random()', TRANSFER_ROUTES.map((r) => r[2]));
      const routes = TRANSFER_ROUTES.map(([f, t], i) => `(${i}, ${f}, ${t})`).join(', ');
      const notesArr = `array[${COMMON_NOTES.map(lit).join(', ')}]`;
      const expensePayees = PAYEE_COUNT - INCOME_PAYEES;
      const firstExpenseCat = CATEGORY_GROUPS[0]!.categories.length;
      const expenseCats = CATEGORY_GROUPS.reduce((n, g) => n + g.categories.length, 0) - firstExpenseCat;
      const cN = NOTE_RATES.common;
      const cI = cN + NOTE_RATES.invoice;
      const cW = cI + NOTE_RATES.warranty;

      let done = 0;
      const total = opts.ledgers.reduce((n, l) => n + l.rows, 0);
      let lastLog = performance.now();
      for (const l of opts.ledgers) {
        const comp = ledgerComposition(l.rows);
        const L = `'${l.id}'::uuid`;
        await phase('ordinary_rows', async () => {
          for (let from = 1; from <= comp.ordinary; from += chunk) {
            const to = Math.min(comp.ordinary, from + chunk - 1);
            await run(`
insert into transactions (ledger_id, account_id, posted_on, amount_minor, payee_id, category_id, notes, tags, cleared_state)
select ${L}, acc.id, g.d, g.amount, pay.id, cat.id, g.notes, g.tags, g.cleared
  from (
    select s.i, s.d,
           case when s.income then 0 else ${accCase} end as aord,
           case when s.income then floor(r2 * ${INCOME_PAYEES})::int
                else ${INCOME_PAYEES} + ((floor(power(r2, 2.5) * ${expensePayees})::int + ${l.ord * 37}) % ${expensePayees}) end as pord,
           case when s.income then (50000 + floor(r4 * 450000))::bigint else -(50 + floor(power(r4, 3) * 40000))::bigint end as amount,
           case when r6 < 0.03 then -1 when r6 < 0.09 then ${firstExpenseCat} + floor(r7 * ${expenseCats})::int else null end as cat_pick,
           case when r3 < ${cN} then (${notesArr})[1 + floor(r8 * ${COMMON_NOTES.length})::int]
                when r3 < ${cI} then 'invoice ' || floor(r8 * 10000)::int
                when r3 < ${cW} then 'warranty claim ' || s.i
                else null end as notes,
           case when r9 < 0.02 then '{vacation}'::text[] when r9 < 0.03 then '{tax-deductible}'::text[] else '{}'::text[] end as tags,
           case when s.d < current_date - 45 then (case when r10 < 0.7 then 'reconciled' else 'cleared' end)
                else (case when r10 < 0.4 then 'cleared' else 'uncleared' end) end as cleared
      from (select i, current_date - floor(random() * 3652)::int as d, random() < 0.03 as income,
                   random() as r1, random() as r2, random() as r3, random() as r4, random() as r6, random() as r7,
                   random() as r8, random() as r9, random() as r10
              from generate_series(${from}, ${to}) i offset 0) s
    offset 0
  ) g
  join bench_acc acc on acc.ledger_id = ${L} and acc.ord = g.aord
  join bench_pay pay on pay.ledger_id = ${L} and pay.ord = g.pord
  left join bench_cat cat on cat.ledger_id = ${L} and cat.ord = (case when g.cat_pick = -1 then null else coalesce(g.cat_pick, pay.cat_ord) end)`);
            done += to - from + 1;
            if (performance.now() - lastLog > 10_000) {
              lastLog = performance.now();
              log(`  ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} top-level rows`);
            }
          }
        });
        await phase('transfers', async () => {
          if (comp.transferPairs === 0) return;
          await run(`
with g as materialized (
  select gen_random_uuid() as a, gen_random_uuid() as b, current_date - floor(random() * 3652)::int as d,
         (1000 + floor(power(random(), 2) * 300000))::bigint as amt, ${routeCase} as rt,
         (case when random() < 0.8 then 'reconciled' else 'cleared' end) as cl
    from generate_series(1, ${comp.transferPairs})
), r (rt, f, t) as (values ${routes})
insert into transactions (id, ledger_id, account_id, posted_on, amount_minor, transfer_peer_id, cleared_state)
select g.a, ${L}, fa.id, g.d, -g.amt, g.b, g.cl from g join r using (rt) join bench_acc fa on fa.ledger_id = ${L} and fa.ord = r.f
union all
select g.b, ${L}, ta.id, g.d, g.amt, g.a, g.cl from g join r using (rt) join bench_acc ta on ta.ledger_id = ${L} and ta.ord = r.t`);
        });
        await phase('splits', async () => {
          if (comp.splits === 0) return;
          await run(`
with g as materialized (
  select gen_random_uuid() as id, current_date - floor(random() * 3652)::int as d, ${weightedCase('random()', [0.4, 0.1, 0.3, 0.2])} as aord,
         -(200 + floor(power(random(), 2) * 40000))::bigint as amt,
         ${INCOME_PAYEES} + floor(power(random(), 3) * 20)::int as pord,
         ${firstExpenseCat} + floor(random() * ${expenseCats})::int as c1, floor(random() * ${expenseCats - 1})::int as c2off,
         (case when random() < 0.8 then 'reconciled' else 'cleared' end) as cl
    from generate_series(1, ${comp.splits})
), x as (
  select g.*, acc.id as acc_id, pay.id as pay_id,
         ${firstExpenseCat} + ((g.c1 - ${firstExpenseCat} + 1 + g.c2off) % ${expenseCats}) as c2
    from g join bench_acc acc on acc.ledger_id = ${L} and acc.ord = g.aord
           join bench_pay pay on pay.ledger_id = ${L} and pay.ord = g.pord
)
insert into transactions (id, ledger_id, account_id, posted_on, amount_minor, payee_id, category_id, notes, parent_id, is_split, cleared_state)
select x.id, ${L}, x.acc_id, x.d, x.amt, x.pay_id, null, 'split purchase', null, true, x.cl from x
union all
select gen_random_uuid(), ${L}, x.acc_id, x.d, x.amt / 2, null, c.id, null, x.id, false, x.cl from x join bench_cat c on c.ledger_id = ${L} and c.ord = x.c1
union all
select gen_random_uuid(), ${L}, x.acc_id, x.d, x.amt - x.amt / 2, null, c.id, null, x.id, false, x.cl from x join bench_cat c on c.ledger_id = ${L} and c.ord = x.c2`);
        });
      }
      log(`  ${total.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} top-level rows`);
    } finally {
      if (dropped.length > 0) {
        await phase('create_indexes', async () => {
          for (const ix of dropped) {
            const t = performance.now();
            await run(ix.def);
            log(`  recreated ${ix.name} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
          }
        });
        indexesRebuilt = dropped.map((d) => d.name);
      }
      await run(`drop table if exists bench_acc, bench_cat, bench_pay, bench_ledger`);
      await run(`reset maintenance_work_mem`);
    }
  });

  return { seconds: (performance.now() - started) / 1000, phases, indexesRebuilt };
}

export interface RowCounts {
  users: number;
  ledgers: number;
  accounts: number;
  categories: number;
  payees: number;
  transactions: number;
  topLevel: number;
  splitParents: number;
  splitParts: number;
  transferRows: number;
  withNotes: number;
  bigLedgerTopLevel: number;
}

export async function countRows(kysely: Kysely<Database>, bigLedgerId: string): Promise<RowCounts> {
  const r = await sql<Record<string, string | number | bigint>>`
    select (select count(*) from users) as users,
           (select count(*) from ledgers) as ledgers,
           (select count(*) from accounts) as accounts,
           (select count(*) from categories) as categories,
           (select count(*) from payees) as payees,
           count(*) as transactions,
           count(*) filter (where parent_id is null) as top_level,
           count(*) filter (where is_split) as split_parents,
           count(*) filter (where parent_id is not null) as split_parts,
           count(*) filter (where transfer_peer_id is not null) as transfer_rows,
           count(*) filter (where notes is not null) as with_notes,
           count(*) filter (where parent_id is null and ledger_id = ${bigLedgerId}::uuid) as big_top_level
      from transactions`.execute(kysely);
  const x = r.rows[0]!;
  const n = (k: string) => Number(x[k]);
  return {
    users: n('users'), ledgers: n('ledgers'), accounts: n('accounts'), categories: n('categories'), payees: n('payees'),
    transactions: n('transactions'), topLevel: n('top_level'), splitParents: n('split_parents'), splitParts: n('split_parts'),
    transferRows: n('transfer_rows'), withNotes: n('with_notes'), bigLedgerTopLevel: n('big_top_level'),
  };
}
