import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';

describe('transactions, splits and transfers', () => {
  let t: TestApp;
  let token: string;
  let L: string;
  let chk: string;
  let sav: string;
  let eur: string;
  let groceries: string;
  let household: string;
  const api = (method: string, url: string, payload?: unknown) => t.req({ method: method as 'GET', url: `/api/v1/ledgers/${L}${url}`, token, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const balance = async (id: string) => (await api('GET', `/accounts/${id}`)).body.balance_minor as number;

  beforeAll(async () => {
    t = await createTestApp();
    token = (await t.user()).token;
    L = (await t.req({ method: 'POST', url: '/api/v1/ledgers', token, payload: { name: 'Home', base_currency: 'USD' } })).body.id;
    chk = (await api('POST', '/accounts', { name: 'Checking', type: 'checking', currency: 'USD', opening_balance_minor: 100_000 })).body.id;
    sav = (await api('POST', '/accounts', { name: 'Savings', type: 'savings', currency: 'USD' })).body.id;
    eur = (await api('POST', '/accounts', { name: 'Euro', type: 'checking', currency: 'EUR' })).body.id;
    const g = (await api('POST', '/category-groups', { name: 'Everyday' })).body.id;
    groceries = (await api('POST', '/categories', { name: 'Groceries', group_id: g })).body.id;
    household = (await api('POST', '/categories', { name: 'Household', group_id: g })).body.id;
  });
  afterAll(async () => t?.close());

  it('reuses a payee by name case-insensitively as PostgreSQL lowers it, also where JavaScript lowers differently', async () => {
    for (const name of ['ΣΑΣ Market', 'İstanbul Kebap', 'Corner Shop']) {
      const a = await api('POST', '/transactions', { account_id: chk, posted_on: '2024-02-01', amount_minor: -100, payee_name: name });
      expect(a.status, JSON.stringify(a.body)).toBe(201);
      const b = await api('POST', '/transactions', { account_id: chk, posted_on: '2024-02-02', amount_minor: -200, payee_name: name.toUpperCase() });
      expect(b.status, JSON.stringify(b.body)).toBe(201);
      expect(b.body.payee_id).toBe(a.body.payee_id);
      for (const id of [a.body.id, b.body.id]) expect((await api('DELETE', `/transactions/${id}`)).status).toBe(204);
    }
  });

  it('keeps a split whose parts sum to the amount and rejects one that does not', async () => {
    const ok = await api('POST', '/transactions', { account_id: chk, posted_on: '2024-03-01', amount_minor: -10000, payee_name: 'Big Store', splits: [{ amount_minor: -6000, category_id: groceries }, { amount_minor: -4000, category_id: household }] });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.is_split).toBe(true);
    expect(ok.body.splits.map((s: { amount_minor: number }) => s.amount_minor).sort((a: number, b: number) => a - b)).toEqual([-6000, -4000]);
    const bad = await api('POST', '/transactions', { account_id: chk, posted_on: '2024-03-01', amount_minor: -10000, splits: [{ amount_minor: -6000 }, { amount_minor: -3000 }] });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('SPLIT_SUM_MISMATCH');
    expect(bad.body.errors[0].field).toBe('/body/splits');
    // Changing the amount alone would break the sum: refused.
    const amountOnly = await api('PATCH', `/transactions/${ok.body.id}`, { amount_minor: -12000 });
    expect(amountOnly.status).toBe(422);
    // With new parts it is accepted; parts follow the parent's date.
    const both = await api('PATCH', `/transactions/${ok.body.id}`, { amount_minor: -12000, posted_on: '2024-03-02', splits: [{ amount_minor: -12000, category_id: groceries }] });
    expect(both.status, JSON.stringify(both.body)).toBe(200);
    const parts = await t.c.db.kysely.selectFrom('transactions').select(['amount_minor', 'posted_on']).where('parent_id', '=', ok.body.id).execute();
    expect(parts).toEqual([{ amount_minor: -12000n, posted_on: '2024-03-02' }]);
    // The category filter finds the part, not the parent.
    const byCat = await api('GET', `/transactions?category_id=${groceries}`);
    expect(byCat.body.items.map((i: { parent_id: string }) => i.parent_id)).toContain(ok.body.id);
    // The database itself refuses a broken split, whoever writes it.
    await expect(t.c.db.kysely.updateTable('transactions').set({ amount_minor: 1n }).where('parent_id', '=', ok.body.id).execute()).rejects.toThrow(/split parts/);
  });

  it('keeps both sides of a transfer consistent through edits and deletes', async () => {
    const before = { chk: await balance(chk), sav: await balance(sav) };
    const tr = await api('POST', '/transactions', { account_id: chk, posted_on: '2024-04-01', amount_minor: -25000, transfer_account_id: sav, notes: 'to savings' });
    expect(tr.status, JSON.stringify(tr.body)).toBe(201);
    expect(tr.body.transfer.account_id).toBe(sav);
    expect(tr.body.transfer.amount_minor).toBe(25000);
    expect(await balance(chk)).toBe(before.chk - 25000);
    expect(await balance(sav)).toBe(before.sav + 25000);
    // Edit the savings side: the checking side follows.
    const peerId = tr.body.transfer.peer_id;
    const edited = await api('PATCH', `/transactions/${peerId}`, { amount_minor: 30000, posted_on: '2024-04-02' });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    const chkSide = await api('GET', `/transactions/${tr.body.id}`);
    expect(chkSide.body.amount_minor).toBe(-30000);
    expect(chkSide.body.posted_on).toBe('2024-04-02');
    expect(await balance(sav)).toBe(before.sav + 30000);
    // Delete one side: both go.
    expect((await api('DELETE', `/transactions/${tr.body.id}`)).status).toBe(204);
    expect((await api('GET', `/transactions/${peerId}`)).status).toBe(404);
    expect(await balance(chk)).toBe(before.chk);
    expect(await balance(sav)).toBe(before.sav);
  });

  it('stores both amounts of a cross-currency transfer', async () => {
    const missing = await api('POST', '/transactions', { account_id: chk, posted_on: '2024-05-01', amount_minor: -11000, transfer_account_id: eur });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].field).toBe('/body/transfer_amount_minor');
    const sameSign = await api('POST', '/transactions', { account_id: chk, posted_on: '2024-05-01', amount_minor: -11000, transfer_account_id: eur, transfer_amount_minor: -10000 });
    expect(sameSign.status).toBe(422);
    const fx = await api('POST', '/transactions', { account_id: chk, posted_on: '2024-05-01', amount_minor: -11000, transfer_account_id: eur, transfer_amount_minor: 10000 });
    expect(fx.status).toBe(201);
    expect(fx.body.transfer).toMatchObject({ amount_minor: 10000, currency: 'EUR' });
    // Editing the date keeps the euro amount.
    await api('PATCH', `/transactions/${fx.body.id}`, { posted_on: '2024-05-03' });
    const peer = await api('GET', `/transactions/${fx.body.transfer.peer_id}`);
    expect(peer.body).toMatchObject({ amount_minor: 10000, posted_on: '2024-05-03', currency: 'EUR' });
    // Unlinking deletes the other side and leaves a normal transaction.
    const un = await api('PATCH', `/transactions/${fx.body.id}`, { transfer_account_id: null });
    expect(un.status).toBe(200);
    expect(un.body.transfer).toBeNull();
    expect((await api('GET', `/transactions/${fx.body.transfer.peer_id}`)).status).toBe(404);
  });

  it('pages with stable keyset cursors and running balances', async () => {
    const acct = (await api('POST', '/accounts', { name: 'Paging', type: 'cash', currency: 'JPY', opening_balance_minor: 1000 })).body.id;
    for (let i = 0; i < 23; i++) {
      // Several rows share a date so the id tie-break matters.
      const r = await api('POST', '/transactions', { account_id: acct, posted_on: `2024-01-${String(1 + (i % 5)).padStart(2, '0')}`, amount_minor: i % 2 ? 100 + i : -(50 + i), notes: i % 3 === 0 ? 'coffee beans' : null });
      expect(r.status).toBe(201);
    }
    const seen: { id: string; rb: number; amount: number }[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string; running_balance_minor: number; amount_minor: number }[]; next_cursor: string | null } } = await api('GET', `/transactions?account_id=${acct}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.items.map((i) => ({ id: i.id, rb: i.running_balance_minor, amount: i.amount_minor })));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(new Set(seen.map((s) => s.id)).size).toBe(23);
    // Oldest row's balance is opening + its amount; each newer one adds its own amount.
    const oldestFirst = [...seen].reverse();
    let b = 1000;
    for (const s of oldestFirst) {
      b += s.amount;
      expect(s.rb).toBe(b);
    }
    expect(await balance(acct)).toBe(b);
    const text = await api('GET', `/transactions?account_id=${acct}&q=COFFEE`);
    expect(text.body.items).toHaveLength(8);
    const range = await api('GET', `/transactions?account_id=${acct}&amount_min=100&amount_max=110`);
    expect(range.body.items.every((i: { amount_minor: number }) => i.amount_minor >= 100 && i.amount_minor <= 110)).toBe(true);
    const bad = await api('GET', `/transactions?cursor=not-a-cursor`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('/query/cursor');
  });

  it('rejects impossible dates, unknown currencies and out-of-range amounts naming the field', async () => {
    const d = await api('POST', '/transactions', { account_id: chk, posted_on: '2023-02-29', amount_minor: 1 });
    expect([d.status, d.body.errors[0].field]).toEqual([400, '/body/posted_on']);
    const cur = await api('POST', '/accounts', { name: 'X', type: 'cash', currency: 'XYZ' });
    expect([cur.status, cur.body.errors[0].field]).toEqual([400, '/body/currency']);
    const big = await api('POST', '/transactions', { account_id: chk, posted_on: '2024-01-01', amount_minor: 2 ** 53 });
    expect([big.status, big.body.errors[0].field]).toEqual([422, '/body/amount_minor']);
    const frac = await api('POST', '/transactions', { account_id: chk, posted_on: '2024-01-01', amount_minor: 1.5 });
    expect([frac.status, frac.body.errors[0].field]).toEqual([400, '/body/amount_minor']);
    const extra = await api('POST', '/transactions', { account_id: chk, posted_on: '2024-01-01', amount_minor: 1, colour: 'red' });
    expect([extra.status, extra.body.errors[0].field]).toEqual([400, '/body/colour']);
  });
});
