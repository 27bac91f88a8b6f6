import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.ts';

describe('API smoke', () => {
  let t: TestApp;
  beforeAll(async () => { t = await createTestApp(); });
  afterAll(async () => { await t?.close(); });

  it('creates a ledger, account, transaction', async () => {
    const u = await t.user();
    const l = await t.req({ method: 'POST', url: '/api/v1/ledgers', token: u.token, payload: { name: 'Home', base_currency: 'USD' } });
    expect(l.status).toBe(201);
    const a = await t.req({ method: 'POST', url: `/api/v1/ledgers/${l.body.id}/accounts`, token: u.token, payload: { name: 'Checking', type: 'checking', currency: 'USD', opening_balance_minor: 10000 } });
    expect(a.status).toBe(201);
    const tx = await t.req({ method: 'POST', url: `/api/v1/ledgers/${l.body.id}/transactions`, token: u.token, payload: { account_id: a.body.id, posted_on: '2024-02-29', amount_minor: -1234, payee_name: 'Corner Shop', notes: 'milk' } });
    expect(tx.status, JSON.stringify(tx.body)).toBe(201);
    expect(tx.body.amount).toBe('-12.34');
    const list = await t.req({ method: 'GET', url: `/api/v1/ledgers/${l.body.id}/transactions?account_id=${a.body.id}&limit=10`, token: u.token });
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body.items[0].running_balance_minor).toBe(8766);
    const bad = await t.req({ method: 'POST', url: `/api/v1/ledgers/${l.body.id}/transactions`, token: u.token, payload: { account_id: a.body.id, posted_on: '2023-02-29', amount_minor: true } });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/problem\+json/);
    console.log(bad.body);
  });
});
