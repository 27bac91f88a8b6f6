// Junk against every money route (rates, conversion, net worth, budgets): the
// answer is always a 2xx or a 4xx problem+json, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrng } from '../../src/demo/prng.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let H: Record<string, string>;
let L: string;
let category: string;
let income: string;

beforeAll(async () => {
  t = await createTestApp();
  H = (await t.user()).headers;
  const ok = async (method: string, url: string, payload?: unknown) => (await t.req({ method: method as 'POST', url, headers: H, payload: payload as object })).body;
  L = `/api/v1/ledgers/${(await ok('POST', '/api/v1/ledgers', { name: 'junk', base_currency: 'USD' })).id}`;
  const acc = (await ok('POST', `${L}/accounts`, { name: 'Euro', type: 'checking', currency: 'EUR', opening_balance_minor: 123 })).id;
  const g = (await ok('POST', `${L}/category-groups`, { name: 'G' })).id;
  category = (await ok('POST', `${L}/categories`, { name: 'C', group_id: g })).id;
  const ig = (await ok('POST', `${L}/category-groups`, { name: 'I', is_income: true })).id;
  income = (await ok('POST', `${L}/categories`, { name: 'Inc', group_id: ig })).id;
  await ok('POST', `${L}/transactions`, { account_id: acc, posted_on: '2024-01-05', amount_minor: -500, category_id: category });
  await ok('POST', `${L}/fx-rates`, { from_currency: 'EUR', to_currency: 'USD', rate_date: '2024-01-01', rate: '999999999999.999999999999' });
});
afterAll(async () => t?.close());

describe('money routes under junk', () => {
  it('never answer 500', async () => {
    const r = createPrng(process.env.FINHUB_PROPERTY_SEED ?? 'money-junk');
    const junk = () => r.pick<unknown>([
      null, '', ' ', 'x', -1, 0, 1.5, 9_007_199_254_740_991, -9_007_199_254_740_991, 1e300, '9007199254740992', true, [], {}, '2024-02-30', '2024-13', '0000-01',
      '1900-01', '2999-12', '3000-01', 'EUR', 'eur', 'XXX', 'USD', category, income, '00000000-0000-4000-8000-000000000000', 'a'.repeat(5000), '1e3', '0.0000000000001', '1,5', '\u0000', '../..',
    ]);
    const months = ['2024-01', '2024-13', '1899-12', '2999-12', 'abcd-ef', '2024-1', '9999-99', '%00'];
    const failures: string[] = [];
    for (let i = 0; i < 400; i++) {
      const m = r.pick(months);
      const req = r.pick([
        () => ({ method: 'POST', url: `${L}/fx-rates`, payload: { from_currency: junk(), to_currency: junk(), rate_date: junk(), rate: junk(), ...(r.chance(300) ? { source: junk() } : {}) } }),
        () => ({ method: 'POST', url: `${L}/fx-rates/import`, payload: { csv: r.pick(['date,from,to,rate\n', `date,from,to,rate\n${junk()},${junk()},${junk()},${junk()}\n`, String(junk()), 'date,from,to,rate,source\n2024-01-01,EUR,USD,1.1,' + 'x'.repeat(200)]) } }),
        () => ({ method: 'GET', url: `${L}/fx-rates?from_currency=${encodeURIComponent(String(junk()))}&to=${encodeURIComponent(String(junk()))}&cursor=${encodeURIComponent(String(junk()))}` }),
        () => ({ method: 'GET', url: `${L}/fx-rates/convert?amount_minor=${encodeURIComponent(String(junk()))}&from_currency=${encodeURIComponent(String(junk()))}&to_currency=USD&date=${encodeURIComponent(String(junk()))}` }),
        () => ({ method: 'DELETE', url: `${L}/fx-rates/${encodeURIComponent(String(junk()))}` }),
        () => ({ method: 'GET', url: `${L}/net-worth?currency=${encodeURIComponent(String(junk()))}&date=${encodeURIComponent(String(junk()))}` }),
        () => ({ method: 'GET', url: `${L}/budgets/${m}` }),
        () => ({ method: 'GET', url: `${L}/budgets?from=${m}&to=${r.pick(months)}` }),
        () => ({ method: 'PUT', url: `${L}/budgets/${m}`, payload: { categories: [{ category_id: junk(), assigned_minor: junk() }] } }),
        () => ({ method: 'PUT', url: `${L}/budgets/${m}/categories/${encodeURIComponent(String(junk()))}`, payload: { assigned_minor: junk() } }),
        () => ({ method: 'PUT', url: `${L}/budget-categories/${encodeURIComponent(String(junk()))}`, payload: { mode: r.pick(['limit', 'envelope', junk()]), limit_minor: junk() } }),
      ])();
      const res = await t.req({ ...(req as { method: 'GET'; url: string }), headers: H, ...('payload' in req ? { payload: req.payload as object } : {}) });
      if (res.status >= 500 || (res.status >= 400 && (!/problem\+json/.test(String(res.headers['content-type'])) || !res.body?.code))) {
        failures.push(`${req.method} ${req.url.slice(0, 200)} ${JSON.stringify((req as { payload?: unknown }).payload)?.slice(0, 200)} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
