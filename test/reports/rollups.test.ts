// The monthly rollups never drift from the base rows: random inserts, edits,
// deletes, splits, transfers (also across currencies), bulk SQL statements,
// imports with pending rows that a later import replaces, undo of imports,
// and deletes of categories, payees and accounts (foreign-key cascades), with
// a full comparison against a fresh aggregate every few steps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Actor } from '../../src/auth/actor.ts';
import { createPrng, type Prng } from '../../src/demo/prng.ts';
import type { Statement } from '../../src/imports/statement.ts';
import { rebuildRollups, rollupDrift } from '../../src/reports/rollups.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let actor: Actor;

beforeAll(async () => {
  t = await createTestApp();
  const u = await t.user();
  actor = { userId: u.id, isAdmin: false, via: 'cli' };
});
afterAll(async () => t?.close());

interface World {
  ledgerId: string;
  accounts: { id: string; currency: string }[];
  categories: string[];
  group: string;
  payees: string[];
  batches: string[];
}

const day = (r: Prng) => `2024-${String(r.int(1, 6)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`;

async function world(r: Prng): Promise<World> {
  const c = t.c;
  const ledger = await c.ledgers.create(actor, { name: `drift ${r.int(0, 1e9)}`, baseCurrency: 'USD' });
  const accounts = [];
  for (const [name, currency] of [['Checking', 'USD'], ['Visa', 'USD'], ['Savings', 'USD'], ['Euro', 'EUR']] as const) {
    accounts.push({ id: (await c.accounts.create(actor, ledger.id, { name, type: 'checking', currency })).id, currency });
  }
  const group = (await c.categories.createGroup(actor, ledger.id, { name: 'Everyday' })).id;
  const categories = [];
  for (const name of ['Food', 'Rent', 'Fun', 'Travel']) categories.push((await c.categories.createCategory(actor, ledger.id, { name, groupId: group })).id);
  return { ledgerId: ledger.id, accounts, categories, group, payees: [], batches: [] };
}

async function topRows(w: World) {
  return t.c.db.kysely.selectFrom('transactions').select(['id', 'is_split', 'transfer_peer_id', 'amount_minor', 'account_id', 'imported_id']).where('ledger_id', '=', w.ledgerId).where('parent_id', 'is', null).orderBy('created_at').orderBy('id').execute();
}

function statement(r: Prng, rows: { bankId: string; pending: boolean; amount: bigint; on: string }[]): Statement {
  return {
    format: 'ofx2', encoding: { used: 'utf-8' }, account: { currency: 'USD', accountId: '42' }, balances: [], warnings: [],
    transactions: rows.map((x, i) => ({ sourceLine: 10 + i, postedOn: x.on, amountMinor: x.amount, payee: r.pick(['Grocer', 'Fuel Co', 'Cinema']), bankId: x.bankId, pending: x.pending })),
  };
}

/** One random change; returns its name (for the failure message). */
async function step(w: World, r: Prng): Promise<string> {
  const c = t.c;
  const L = w.ledgerId;
  const k = c.db.kysely;
  const usd = w.accounts.filter((a) => a.currency === 'USD');
  const cat = () => (r.chance(700) && w.categories.length ? r.pick(w.categories) : null);
  const payeeName = () => r.pick(['Grocer', 'Landlord', 'Cinema', 'Airline', 'Fuel Co']);
  const amount = () => r.int(-50_000, 50_000) || 1;
  const rows = await topRows(w);
  const plain = rows.filter((x) => !x.is_split && !x.transfer_peer_id);
  // An imported row can be posted again by a later import (replace_pending), which rewrites its date and
  // amount: that would break a split or transfer made of it, so only manual rows become those.
  const manual = plain.filter((x) => x.imported_id === null);
  const op = r.weighted<string>([
    ['create', 30], ['split', 10], ['transfer', 8], ['fx-transfer', 3], ['edit', 15], ['to-split', 5], ['unsplit', 4], ['to-transfer', 3], ['untransfer', 3],
    ['delete', 8], ['bulk-category', 3], ['bulk-sign', 2], ['bulk-pending', 2], ['bulk-delete', 2], ['delete-category', 1], ['rename-payee', 2], ['delete-payee', 1],
    ['import', 4], ['undo', 3], ['delete-account', 1],
  ]);
  switch (op) {
    case 'create': {
      const a = r.pick(w.accounts);
      await c.transactions.create(actor, L, { accountId: a.id, postedOn: day(r), amountMinor: amount(), payeeName: r.chance(800) ? payeeName() : undefined, categoryId: cat() });
      break;
    }
    case 'split': {
      const total = amount();
      const first = Math.trunc(total / 3);
      await c.transactions.create(actor, L, { accountId: r.pick(w.accounts).id, postedOn: day(r), amountMinor: total, payeeName: payeeName(), splits: [{ amountMinor: first, categoryId: cat() }, { amountMinor: total - first, categoryId: cat() }] });
      break;
    }
    case 'transfer': {
      if (usd.length < 2) return 'skip';
      const [a, b] = [r.pick(usd), r.pick(usd)];
      if (a.id === b.id) return 'skip';
      await c.transactions.create(actor, L, { accountId: a.id, postedOn: day(r), amountMinor: amount(), transferAccountId: b.id, categoryId: cat() });
      break;
    }
    case 'fx-transfer': {
      const eur = w.accounts.find((a) => a.currency === 'EUR');
      if (!eur || usd.length === 0) return 'skip';
      const amt = -Math.abs(amount());
      await c.transactions.create(actor, L, { accountId: r.pick(usd).id, postedOn: day(r), amountMinor: amt, transferAccountId: eur.id, transferAmountMinor: Math.ceil(-amt * 0.9) });
      break;
    }
    case 'edit': {
      if (plain.length === 0) return 'skip';
      const x = r.pick(plain);
      await c.transactions.update(actor, L, x.id, {
        ...(r.chance(500) ? { amountMinor: amount() } : {}), ...(r.chance(500) ? { postedOn: day(r) } : {}), ...(r.chance(400) ? { accountId: r.pick(w.accounts).id } : {}),
        ...(r.chance(500) ? { categoryId: cat() } : {}), ...(r.chance(300) ? { payeeName: payeeName() } : {}),
      });
      break;
    }
    case 'to-split': {
      if (manual.length === 0) return 'skip';
      const x = r.pick(manual);
      const total = Number(x.amount_minor);
      await c.transactions.update(actor, L, x.id, { categoryId: null, splits: [{ amountMinor: total - 1, categoryId: cat() }, { amountMinor: 1, categoryId: cat() }] });
      break;
    }
    case 'unsplit': {
      const s = rows.filter((x) => x.is_split);
      if (s.length === 0) return 'skip';
      await c.transactions.update(actor, L, r.pick(s).id, { splits: null, categoryId: cat(), ...(r.chance(500) ? { postedOn: day(r) } : {}) });
      break;
    }
    case 'to-transfer': {
      const x = manual.find((p) => usd.some((a) => a.id === p.account_id));
      if (!x) return 'skip';
      const other = usd.find((a) => a.id !== x.account_id);
      if (!other) return 'skip';
      await c.transactions.update(actor, L, x.id, { transferAccountId: other.id });
      break;
    }
    case 'untransfer': {
      const tr = rows.filter((x) => x.transfer_peer_id);
      if (tr.length === 0) return 'skip';
      await c.transactions.update(actor, L, r.pick(tr).id, { transferAccountId: null });
      break;
    }
    case 'delete': {
      if (rows.length === 0) return 'skip';
      await c.transactions.remove(actor, L, r.pick(rows).id);
      break;
    }
    case 'bulk-category': {
      if (w.categories.length < 2) return 'skip';
      // One statement over many rows, split parts included.
      await k.updateTable('transactions').set({ category_id: r.pick(w.categories) }).where('ledger_id', '=', L).where('category_id', '=', r.pick(w.categories)).execute();
      break;
    }
    case 'bulk-sign':
      await k.updateTable('transactions').set({ amount_minor: sql`-amount_minor` }).where('ledger_id', '=', L).where('parent_id', 'is', null).where('is_split', '=', false).where('transfer_peer_id', 'is', null).where(sql`amount_minor % 3`, '=', 0).execute();
      break;
    case 'bulk-pending':
      await k.updateTable('transactions').set({ pending: sql`not pending` }).where('ledger_id', '=', L).where(sql`amount_minor % 5`, '=', 0).execute();
      break;
    case 'bulk-delete': {
      const lo = r.int(-50_000, 40_000);
      await k.deleteFrom('transactions').where('ledger_id', '=', L).where('parent_id', 'is', null).where('is_split', '=', false).where('transfer_peer_id', 'is', null).where('amount_minor', '>=', BigInt(lo)).where('amount_minor', '<', BigInt(lo + 3000)).execute();
      break;
    }
    case 'delete-category': {
      if (w.categories.length === 0) return 'skip';
      const id = w.categories.splice(r.int(0, w.categories.length - 1), 1)[0]!;
      await c.categories.removeCategory(actor, L, id);
      // A new one so later steps still have choices.
      w.categories.push((await c.categories.createCategory(actor, L, { name: `Cat ${r.int(0, 1e9)}`, groupId: w.group })).id);
      break;
    }
    case 'rename-payee': {
      const p = await k.selectFrom('payees').select('id').where('ledger_id', '=', L).execute();
      if (p.length === 0) return 'skip';
      await c.payees.rename(actor, L, r.pick(p).id, { name: `Payee ${r.int(0, 1e9)}` });
      break;
    }
    case 'delete-payee': {
      const p = await k.selectFrom('payees').select('id').where('ledger_id', '=', L).execute();
      if (p.length === 0) return 'skip';
      await c.payees.remove(actor, L, r.pick(p).id);
      break;
    }
    case 'import': {
      const acct = usd[0];
      if (!acct) return 'skip';
      const n = r.int(1, 6);
      // Some rows pending; a repeat of an earlier pending bank id posts it (replace_pending).
      const earlier = await k.selectFrom('transactions').select(['imported_id']).where('account_id', '=', acct.id).where('pending', '=', true).where('imported_id', 'is not', null).execute();
      const rowsIn = Array.from({ length: n }, (_, i) => ({ bankId: `b${r.int(0, 1e9)}-${i}`, pending: r.chance(300), amount: BigInt(amount()), on: day(r) }));
      for (const e of earlier.slice(0, 2)) rowsIn.push({ bankId: e.imported_id!, pending: false, amount: BigInt(amount()), on: day(r) });
      const preview = await c.imports.preview(actor, L, acct.id, statement(r, rowsIn));
      await c.imports.commit(actor, L, preview.id);
      w.batches.push(preview.id);
      break;
    }
    case 'undo': {
      if (w.batches.length === 0) return 'skip';
      const id = w.batches.splice(w.batches.length - 1, 1)[0]!;
      await c.imports.undo(actor, L, id, { force: true });
      break;
    }
    case 'delete-account': {
      if (w.accounts.length <= 2) return 'skip';
      const i = r.int(0, w.accounts.length - 1);
      await c.accounts.remove(actor, L, w.accounts[i]!.id);
      w.accounts.splice(i, 1);
      w.accounts.push({ id: (await c.accounts.create(actor, L, { name: `Acct ${r.int(0, 1e9)}`, type: 'cash', currency: 'USD' })).id, currency: 'USD' });
      break;
    }
  }
  return op;
}

describe('rollups never drift from the base rows', () => {
  it.each([1, 2, 3])('random history, seed %i', async (seed) => {
    const r = createPrng(`rollups-${seed}`);
    const worlds = [await world(r), await world(r)];
    const done: string[] = [];
    for (let i = 0; i < 160; i++) {
      const w = r.pick(worlds);
      done.push(await step(w, r));
      if (i % 8 === 7) expect(await rollupDrift(t.c.db.kysely), `after ${done.slice(-8).join(', ')}`).toEqual([]);
    }
    expect(await rollupDrift(t.c.db.kysely)).toEqual([]);
    // The history exercised what it claims to.
    const kinds = new Set(done);
    for (const op of ['create', 'split', 'transfer', 'edit', 'delete', 'import']) expect(kinds.has(op), op).toBe(true);
    const n = await t.c.db.kysely.selectFrom('report_category_months').select((eb) => eb.fn.countAll<bigint>().as('n')).where('ledger_id', 'in', worlds.map((w) => w.ledgerId)).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBeGreaterThan(10);
  });

  it('a deleted ledger leaves no rollup rows', async () => {
    const r = createPrng('rollups-delete');
    const w = await world(r);
    for (let i = 0; i < 30; i++) await step(w, r);
    await t.c.ledgers.remove(actor, w.ledgerId);
    for (const table of ['report_category_months', 'report_payee_months', 'report_account_months', 'report_ledger_category_months', 'report_ledger_payee_months'] as const) {
      const left = await t.c.db.kysely.selectFrom(table).select('ledger_id').where('ledger_id', '=', w.ledgerId).execute();
      expect(left, table).toEqual([]);
    }
  });

  it('an update that changes none of a rollup\'s columns rewrites none of its rows', async () => {
    const r = createPrng('rollups-untouched');
    const w = await world(r);
    for (let i = 0; i < 25; i++) await step(w, r);
    const k = t.c.db.kysely;
    const TABLES = ['report_category_months', 'report_account_months', 'report_payee_months', 'report_ledger_category_months', 'report_ledger_payee_months'] as const;
    // A row version's xmin is the transaction that wrote it: unchanged xmins mean rows not rewritten.
    const versions = async () => {
      const out: Record<string, string[]> = {};
      for (const table of TABLES) {
        const rows = await sql<{ v: string }>`select xmin::text || ':' || ctid::text as v from ${sql.table(table)} where ledger_id = ${w.ledgerId} order by 1`.execute(k);
        out[table] = rows.rows.map((x) => x.v);
      }
      return out;
    };
    const before = await versions();
    expect(before.report_category_months!.length).toBeGreaterThan(0);
    await k.updateTable('transactions').set({ notes: 'touched', tags: ['x'], cleared_state: 'cleared' }).where('ledger_id', '=', w.ledgerId).execute();
    expect(await versions()).toEqual(before);
    // A category change rewrites the category rollups only.
    const one = await k.selectFrom('transactions').select('id').where('ledger_id', '=', w.ledgerId).where('is_split', '=', false).where('parent_id', 'is', null).where('transfer_peer_id', 'is', null).where('amount_minor', '<>', 0n).executeTakeFirstOrThrow();
    await k.updateTable('transactions').set({ category_id: w.categories[0]! }).where('id', '=', one.id).execute();
    const after = await versions();
    for (const table of ['report_account_months', 'report_payee_months', 'report_ledger_payee_months'] as const) expect(after[table], table).toEqual(before[table]);
    expect(await rollupDrift(k, w.ledgerId)).toEqual([]);
  });

  it('the check sees a corrupted rollup, and a rebuild repairs it', async () => {
    const r = createPrng('rollups-corrupt');
    const w = await world(r);
    for (let i = 0; i < 20; i++) await step(w, r);
    const k = t.c.db.kysely;
    await k.updateTable('report_category_months').set({ amount_minor: sql`amount_minor + 1` }).where('ledger_id', '=', w.ledgerId).where('row_count', '>', 0n).execute();
    await k.deleteFrom('report_payee_months').where('ledger_id', '=', w.ledgerId).execute();
    const drift = await rollupDrift(k, w.ledgerId);
    expect(drift.some((d) => d.table === 'report_category_months' && d.stored !== null && d.expected !== null && BigInt(d.stored.amount) === BigInt(d.expected.amount) + 1n)).toBe(true);
    expect(drift.some((d) => d.table === 'report_payee_months' && d.stored === null)).toBe(true);
    await k.transaction().execute((tx) => rebuildRollups(tx, w.ledgerId));
    expect(await rollupDrift(k, w.ledgerId)).toEqual([]);
  });
});
