import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/helpers/db.ts';
import type { Db } from '../db/create-db.ts';
import { generateHousehold, type DemoHousehold } from './demo-data.ts';
import { loadHousehold } from './demo.loader.ts';

let t: TestDb;
let db: Db;

beforeAll(async () => {
  t = await createTestDb();
  db = t.db;
});
afterAll(async () => {
  await t?.cleanup();
});

async function newLedger(name: string): Promise<string> {
  const row = await db.kysely.insertInto('ledgers').values({ name, base_currency: 'USD' }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

function expectedRows(data: DemoHousehold): number {
  return data.transactions.reduce((n, tx) => n + 1 + (tx.transfer ? 1 : 0) + (tx.splits?.length ?? 0), 0);
}

async function countTx(ledgerId: string): Promise<number> {
  const r = await db.kysely.selectFrom('transactions').select(sql<string>`count(*)`.as('n')).where('ledger_id', '=', ledgerId).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('loadHousehold', () => {
  it('loads a two-year household inside the caller’s transaction with every invariant intact', async () => {
    const data = generateHousehold({ seed: 'loader', years: 2 });
    const ledgerId = await newLedger('Demo household');
    const counts = await db.kysely.transaction().execute((tx) => loadHousehold(tx, { ledgerId, data }));

    const categoryCount = data.categoryGroups.reduce((n, g) => n + g.categories.length, 0);
    expect(counts).toEqual({
      accounts: data.accounts.length,
      categoryGroups: data.categoryGroups.length,
      categories: categoryCount,
      payees: data.payees.length,
      transactions: expectedRows(data),
    });
    expect(await countTx(ledgerId)).toBe(counts.transactions);
    const q = db.kysely;
    expect((await q.selectFrom('categories').select('id').where('ledger_id', '=', ledgerId).execute()).length).toBe(categoryCount);
    expect((await q.selectFrom('payees').select('id').where('ledger_id', '=', ledgerId).execute()).length).toBe(data.payees.length);

    // Balances: opening + trigger-maintained sum = opening + the generated top-level amounts.
    const expected = new Map<string, bigint>(data.accounts.map((a) => [a.name, a.openingBalanceMinor]));
    const nameOf = new Map(data.accounts.map((a) => [a.key, a.name]));
    for (const tx of data.transactions) {
      const from = nameOf.get(tx.accountKey) as string;
      expected.set(from, (expected.get(from) as bigint) + tx.amountMinor);
      if (tx.transfer) {
        const to = nameOf.get(tx.transfer.toAccountKey) as string;
        expected.set(to, (expected.get(to) as bigint) + tx.transfer.amountMinor);
      }
    }
    const accounts = await q.selectFrom('accounts').select(['name', 'type', 'currency', 'opening_balance_minor', 'tx_sum_minor']).where('ledger_id', '=', ledgerId).execute();
    expect(accounts.length).toBe(data.accounts.length);
    for (const a of accounts) {
      expect(typeof a.tx_sum_minor).toBe('bigint');
      expect(a.opening_balance_minor + a.tx_sum_minor).toBe(expected.get(a.name));
    }
    // And recomputed from the rows themselves, independently of the triggers.
    const sums = await sql<{ name: string; total: string }>`
      select a.name, (a.opening_balance_minor + coalesce(sum(t.amount_minor), 0))::text as total
        from accounts a left join transactions t on t.account_id = a.id and t.parent_id is null
       where a.ledger_id = ${ledgerId} group by a.id`.execute(q);
    for (const r of sums.rows) expect(BigInt(r.total)).toBe(expected.get(r.name));

    // Split parents: flagged, uncategorised, parts sum to the parent and share account and date.
    const splits = await sql<{ id: string; amount: string; parts_sum: string; parts: string; bad: string; category_id: string | null }>`
      select p.id, p.amount_minor::text as amount, sum(c.amount_minor)::text as parts_sum, count(c.id)::text as parts,
             count(*) filter (where c.account_id <> p.account_id or c.posted_on <> p.posted_on)::text as bad, p.category_id
        from transactions p join transactions c on c.parent_id = p.id
       where p.ledger_id = ${ledgerId} and p.is_split group by p.id`.execute(q);
    expect(splits.rows.length).toBe(data.transactions.filter((x) => x.splits).length);
    for (const r of splits.rows) {
      expect(r.parts_sum).toBe(r.amount);
      expect(Number(r.parts)).toBeGreaterThanOrEqual(2);
      expect(r.bad).toBe('0');
      expect(r.category_id).toBeNull();
    }

    // Transfer peers point at each other, across accounts, on the same date.
    const peers = await sql<{ ok: boolean; cross: boolean }>`
      select b.transfer_peer_id = a.id and a.account_id <> b.account_id and a.posted_on = b.posted_on as ok,
             aa.currency <> ba.currency as cross
        from transactions a
        join transactions b on b.id = a.transfer_peer_id
        join accounts aa on aa.id = a.account_id
        join accounts ba on ba.id = b.account_id
       where a.ledger_id = ${ledgerId}`.execute(q);
    const transfers = data.transactions.filter((x) => x.transfer).length;
    expect(peers.rows.length).toBe(2 * transfers);
    expect(peers.rows.every((r) => r.ok)).toBe(true);
    expect(peers.rows.some((r) => r.cross)).toBe(true);

    // The database filled search_text from payee and notes.
    const search = await q.selectFrom('transactions').select('search_text').where('ledger_id', '=', ledgerId).where('search_text', 'like', '%starbucks%').limit(1).execute();
    expect(search.length).toBe(1);
  });

  it('never splits a transfer pair or a split group across statements, even with tiny batches', async () => {
    const data = generateHousehold({ seed: 'tiny', years: 1, scale: 0.2 });
    const ledgerId = await newLedger('Tiny batches');
    // A plain Kysely handle: the loader opens its own transaction.
    const counts = await loadHousehold(db.kysely, { ledgerId, data, batchSize: 2 });
    expect(counts.transactions).toBe(expectedRows(data));
    expect(await countTx(ledgerId)).toBe(counts.transactions);
  });

  it('leaves nothing behind when the caller rolls back', async () => {
    const data = generateHousehold({ seed: 'rollback', years: 1, scale: 0.1 });
    const ledgerId = await newLedger('Rolled back');
    await expect(
      db.kysely.transaction().execute(async (tx) => {
        await loadHousehold(tx, { ledgerId, data, batchSize: 50 });
        throw new Error('caller aborts');
      }),
    ).rejects.toThrow('caller aborts');
    expect(await countTx(ledgerId)).toBe(0);
    expect((await db.kysely.selectFrom('accounts').select('id').where('ledger_id', '=', ledgerId).execute()).length).toBe(0);
  });

  it('does not bypass the database invariants: a split that does not add up is rejected', async () => {
    const data = generateHousehold({ seed: 'broken', years: 1, scale: 0.1 });
    const victim = data.transactions.find((x) => x.splits);
    expect(victim).toBeDefined();
    victim!.splits![0]!.amountMinor += 1n;
    const ledgerId = await newLedger('Broken split');
    await expect(db.kysely.transaction().execute((tx) => loadHousehold(tx, { ledgerId, data }))).rejects.toThrow(/split parts/);
    expect(await countTx(ledgerId)).toBe(0);
  });

  it('rejects an unknown account, category or payee and a bad batch size', async () => {
    const data = generateHousehold({ seed: 'refs', years: 1, scale: 0.05 });
    const ledgerId = await newLedger('Bad refs');
    const bad = { ...data, transactions: [{ ...data.transactions[0]!, payee: 'Nobody Inc.' }] };
    await expect(loadHousehold(db.kysely, { ledgerId, data: bad })).rejects.toThrow(/unknown payee/);
    await expect(loadHousehold(db.kysely, { ledgerId, data, batchSize: 0 })).rejects.toThrow(RangeError);
    await expect(loadHousehold(db.kysely, { ledgerId, data, batchSize: 6000 })).rejects.toThrow(RangeError);
    expect(await countTx(ledgerId)).toBe(0);
  });
});
