// Budgets, exchange rates and net worth on the demo household (`finhub demo`):
// the demo loads rates implied by its own currency exchanges and a budget for
// its last three months, and every money command works on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/main.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let ledgerId: string;
let headers: Record<string, string>;

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => t.c);
  return { code, out, err };
}

beforeAll(async () => {
  t = await createTestApp();
  const r = await cli('demo', '--years', '2', '--json', '--email', 'money-demo@example.com');
  expect(r.code, r.err.join('\n')).toBe(0);
  const demo = JSON.parse(r.out[0]!) as { ledger_id: string; token: string; fxRates: number };
  expect(demo.fxRates).toBeGreaterThan(1);
  ledgerId = demo.ledger_id;
  headers = { authorization: `Bearer ${demo.token}` };
});
afterAll(async () => t?.close());

describe('money on the demo household', () => {
  it('has rates for its euro account from the day it opened, and net worth converts both ways', async () => {
    const accounts = (await t.req({ method: 'GET', url: `/api/v1/ledgers/${ledgerId}/accounts?limit=50`, headers })).body.items as { name: string; currency: string; opened_on: string }[];
    const euro = accounts.find((a) => a.currency === 'EUR')!;
    const rates = (await t.req({ method: 'GET', url: `/api/v1/ledgers/${ledgerId}/fx-rates?limit=200`, headers })).body.items as { rate_date: string; from_currency: string }[];
    expect(rates.every((r) => r.from_currency === 'EUR')).toBe(true);
    expect(rates.map((r) => r.rate_date).sort()[0]).toBe(euro.opened_on);
    const usd = await t.req({ method: 'GET', url: `/api/v1/ledgers/${ledgerId}/net-worth?date=2026-10-31`, headers });
    expect(usd.status, JSON.stringify(usd.body)).toBe(200);
    expect(usd.body.accounts.find((a: { currency: string }) => a.currency === 'EUR').via).toBe('direct');
    const eur = await t.req({ method: 'GET', url: `/api/v1/ledgers/${ledgerId}/net-worth?currency=EUR&date=2026-10-31`, headers });
    expect(eur.status).toBe(200);
    expect(eur.body.accounts.find((a: { currency: string }) => a.currency === 'USD').via).toBe('inverse');
    // Net worth in EUR is net worth in USD converted (each account rounded on its own, so within a cent per account).
    const rate = await t.req({ method: 'GET', url: `/api/v1/ledgers/${ledgerId}/fx-rates/convert?amount_minor=${usd.body.total_minor}&from_currency=USD&to_currency=EUR&date=2026-10-31`, headers });
    expect(Math.abs(rate.body.converted_minor - eur.body.total_minor)).toBeLessThanOrEqual(usd.body.accounts.length);
  });

  it('has a budget for its last three months; every month of history computes', async () => {
    const range = await t.req({ method: 'GET', url: `/api/v1/ledgers/${ledgerId}/budgets?from=2024-11&to=2026-10`, headers });
    expect(range.status, JSON.stringify(range.body)).toBe(200);
    expect(range.body.items).toHaveLength(24);
    const last = range.body.items.at(-1);
    expect(last.budgeted_minor).toBeGreaterThan(0);
    expect(last.categories.find((c: { name: string }) => c.name === 'Restaurants')).toMatchObject({ mode: 'limit' });
    // Before the last three months only the limit-mode category has an amount (its standing limit applies every month).
    expect(range.body.items[0].categories.filter((c: { budgeted_minor: number }) => c.budgeted_minor !== 0).map((c: { name: string }) => c.name)).toEqual(['Restaurants']);
    // Pool + envelopes = all counted money: the change over a month is that month's income + activity.
    for (let i = 1; i < range.body.items.length; i++) {
      const [a, b] = [range.body.items[i - 1], range.body.items[i]];
      expect(b.to_be_budgeted_minor + b.available_minor - (a.to_be_budgeted_minor + a.available_minor), b.month).toBe(b.income_minor + b.activity_minor);
    }
  });

  it('the CLI shows the budget, sets an amount and switches a mode on the demo', async () => {
    const show = await cli('budget', 'show', '--ledger', ledgerId, '--month', '2026-10');
    expect(show.code, show.err.join('\n')).toBe(0);
    expect(show.out[0]).toBe('Budget 2026-10 (USD)');
    expect(show.out.some((l) => /^ {2}Restaurants +limit /.test(l))).toBe(true);
    expect(show.out.at(-1)).toMatch(/^to be budgeted: -?[\d,]+\.\d{2} USD$/);
    const set = await cli('budget', 'set', '--ledger', ledgerId, '--month', '2026-11', '--category', 'groceries', '--amount', '650');
    expect(set.code, set.err.join('\n')).toBe(0);
    expect(set.out[0]).toMatch(/^2026-11 Groceries: budgeted 650\.00 USD, available /);
    const mode = await cli('budget', 'mode', '--ledger', ledgerId, '--category', 'Coffee Shops', 'limit', '--limit', '40');
    expect(mode.out).toEqual(['Coffee Shops: limit, limit 40.00 USD a month']);
    const bad = await cli('budget', 'set', '--ledger', ledgerId, '--month', '2026-11', '--category', 'Salary', '--amount', '1');
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toContain('income category');
    const nw = await cli('net-worth', '--ledger', ledgerId, '--currency', 'eur', '--date', '2026-10-31');
    expect(nw.code, nw.err.join('\n')).toBe(0);
    expect(nw.out.at(-1)).toMatch(/^Net worth on 2026-10-31 +[\d,.-]+ EUR$/);
  });
});
