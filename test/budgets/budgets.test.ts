// Envelope budgets through the API: hand-worked months (rollover of leftovers
// and of overspending, to be budgeted, splits, transfers, uncategorized rows,
// opening balances), spending-limit mode, foreign-currency rows, errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let H: Record<string, string>;
let L: string;
const ids: Record<string, string> = {};

async function ok(method: string, url: string, payload?: unknown) {
  const r = await t.req({ method: method as 'GET', url, headers: H, ...(payload !== undefined ? { payload: payload as object } : {}) });
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const tx = (body: Record<string, unknown>) => ok('POST', `${L}/transactions`, body);
const line = (b: { categories: { name: string }[] }, name: string) => b.categories.find((c) => c.name === name) as unknown as Record<string, unknown> & { available_minor: number };

beforeAll(async () => {
  t = await createTestApp();
  H = (await t.user()).headers;
  L = `/api/v1/ledgers/${(await ok('POST', '/api/v1/ledgers', { name: 'budget', base_currency: 'USD' })).id}`;
  ids.checking = (await ok('POST', `${L}/accounts`, { name: 'Checking', type: 'checking', currency: 'USD', opening_balance_minor: 100_000, opened_on: '2026-01-01' })).id;
  ids.savings = (await ok('POST', `${L}/accounts`, { name: 'Savings', type: 'savings', currency: 'USD', opened_on: '2026-01-01' })).id;
  ids.brokerage = (await ok('POST', `${L}/accounts`, { name: 'Brokerage', type: 'investment', currency: 'USD', opening_balance_minor: 900_000, opened_on: '2026-01-01' })).id;
  ids.euro = (await ok('POST', `${L}/accounts`, { name: 'Euro', type: 'checking', currency: 'EUR', opened_on: '2026-01-01' })).id;
  const income = (await ok('POST', `${L}/category-groups`, { name: 'Income', is_income: true })).id;
  const living = (await ok('POST', `${L}/category-groups`, { name: 'Living' })).id;
  for (const [k, name, group] of [['salary', 'Salary', income], ['groceries', 'Groceries', living], ['rent', 'Rent', living], ['eating', 'Eating out', living], ['fun', 'Fun', living]] as const) {
    ids[k] = (await ok('POST', `${L}/categories`, { name, group_id: group })).id;
  }
  await tx({ account_id: ids.checking, posted_on: '2026-01-01', amount_minor: -120_000, category_id: ids.rent });
  await tx({ account_id: ids.checking, posted_on: '2026-01-05', amount_minor: 300_000, category_id: ids.salary });
  await tx({ account_id: ids.checking, posted_on: '2026-01-10', amount_minor: -25_000, category_id: ids.groceries });
  await tx({ account_id: ids.checking, posted_on: '2026-01-11', amount_minor: 5_000 }); // uncategorized inflow
  await tx({ account_id: ids.checking, posted_on: '2026-01-12', amount_minor: -50_000, transfer_account_id: ids.savings }); // on budget -> on budget
  await tx({ account_id: ids.checking, posted_on: '2026-01-13', amount_minor: -30_000, transfer_account_id: ids.brokerage }); // leaves the budget
  await tx({ account_id: ids.checking, posted_on: '2026-01-14', amount_minor: -10_000, splits: [{ amount_minor: -6_000, category_id: ids.groceries }, { amount_minor: -4_000, category_id: ids.eating }] });
  await tx({ account_id: ids.brokerage, posted_on: '2026-01-20', amount_minor: -7_777, category_id: ids.fun }); // off budget: never counts
  await tx({ account_id: ids.checking, posted_on: '2026-02-03', amount_minor: -10_000, category_id: ids.groceries });
  await ok('PUT', `${L}/budgets/2026-01`, { categories: [{ category_id: ids.groceries, assigned_minor: 30_000 }, { category_id: ids.rent, assigned_minor: 120_000 }, { category_id: ids.eating, assigned_minor: 10_000 }] });
  await ok('PUT', `${L}/budgets/2026-02/categories/${ids.groceries}`, { assigned_minor: 30_000 });
});
afterAll(async () => t?.close());

describe('envelope budget, worked by hand', () => {
  it('January: income pool, assigned, activity by split part, transfers', async () => {
    const b = await ok('GET', `${L}/budgets/2026-01`);
    // opening 1000.00 + salary 3000.00 + uncategorized +50.00 and -300.00 (transfer out of the budget)
    expect(b.income_minor).toBe(100_000 + 300_000 + 5_000 - 30_000);
    expect(b.opening_balances_minor).toBe(100_000);
    expect(b.uncategorized_minor).toBe(5_000 - 30_000);
    expect(b.budgeted_minor).toBe(160_000);
    expect(b.to_be_budgeted_minor).toBe(375_000 - 160_000);
    expect(line(b, 'Groceries')).toMatchObject({ budgeted_minor: 30_000, activity_minor: -31_000, available_minor: -1_000, status: 'overspent' });
    expect(line(b, 'Eating out')).toMatchObject({ activity_minor: -4_000, available_minor: 6_000, status: 'ok' });
    expect(line(b, 'Rent')).toMatchObject({ activity_minor: -120_000, available_minor: 0 });
    expect(line(b, 'Fun')).toMatchObject({ activity_minor: 0, available_minor: 0 });
    expect(b.income_categories).toEqual([expect.objectContaining({ name: 'Salary', activity_minor: 300_000 })]);
    // On-budget money at the end of January: checking + savings.
    const bal = await ok('GET', `${L}/balances`);
    const onBudget = bal.accounts.filter((a: { name: string }) => a.name === 'Checking' || a.name === 'Savings').reduce((s: number, a: { balance_minor: number }) => s + a.balance_minor, 0);
    expect(b.to_be_budgeted_minor + b.available_minor).toBe(onBudget + 10_000); // February's -100.00 is not in January
  });

  it('February: leftovers roll over, overspending comes out of to be budgeted', async () => {
    const b = await ok('GET', `${L}/budgets/2026-02`);
    expect(b.from_last_month_minor).toBe(215_000);
    expect(b.returned_from_last_month_minor).toBe(-1_000);
    expect(b.to_be_budgeted_minor).toBe(215_000 - 1_000 - 30_000);
    expect(line(b, 'Groceries')).toMatchObject({ carried_over_minor: 0, budgeted_minor: 30_000, activity_minor: -10_000, available_minor: 20_000 });
    expect(line(b, 'Eating out')).toMatchObject({ carried_over_minor: 6_000, budgeted_minor: 0, available_minor: 6_000 });
  });

  it('spending-limit mode: the limit each month, no rollover, leftovers and overspending go back to the pool', async () => {
    await ok('PUT', `${L}/budget-categories/${ids.eating}`, { mode: 'limit', limit_minor: 5_000 });
    const jan = await ok('GET', `${L}/budgets/2026-01`);
    // January keeps its explicit 100.00; February falls back to the standing 50.00 limit.
    expect(line(jan, 'Eating out')).toMatchObject({ mode: 'limit', budgeted_minor: 10_000, assigned_explicitly: true, available_minor: 6_000, status: 'within_limit' });
    const feb = await ok('GET', `${L}/budgets/2026-02`);
    expect(line(feb, 'Eating out')).toMatchObject({ carried_over_minor: 0, budgeted_minor: 5_000, assigned_explicitly: false, available_minor: 5_000 });
    expect(feb.returned_from_last_month_minor).toBe(-1_000 + 6_000);
    expect(feb.to_be_budgeted_minor).toBe(215_000 - 1_000 + 6_000 - 30_000 - 5_000);
    await tx({ account_id: ids.checking, posted_on: '2026-02-20', amount_minor: -7_000, category_id: ids.eating });
    expect(line(await ok('GET', `${L}/budgets/2026-02`), 'Eating out')).toMatchObject({ available_minor: -2_000, status: 'over_limit' });
    const settings = await ok('GET', `${L}/budget-categories`);
    expect(settings.items.find((s: { name: string }) => s.name === 'Eating out')).toMatchObject({ mode: 'limit', limit_minor: 5_000, limit_currency: 'USD' });
    await ok('PUT', `${L}/budget-categories/${ids.eating}`, { mode: 'envelope' });
    expect(line(await ok('GET', `${L}/budgets/2026-02`), 'Eating out')).toMatchObject({ mode: 'envelope', carried_over_minor: 6_000, budgeted_minor: 0, available_minor: -1_000 });
  });

  it('a foreign-currency row counts at its own day\'s rate, rounded half away from zero; a missing rate is a 422 naming the pair and day', async () => {
    await tx({ account_id: ids.euro, posted_on: '2026-03-15', amount_minor: -1_005, category_id: ids.groceries });
    const missing = await t.req({ method: 'GET', url: `${L}/budgets/2026-03`, headers: H });
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ code: 'FX_RATE_MISSING', from_currency: 'EUR', to_currency: 'USD', date: '2026-03-15' });
    expect(missing.body.detail).toContain('EUR→USD');
    expect(missing.body.detail).toContain('2026-03-15');
    // February does not need the March rate.
    expect((await t.req({ method: 'GET', url: `${L}/budgets/2026-02`, headers: H })).status).toBe(200);
    await ok('POST', `${L}/fx-rates`, { from_currency: 'EUR', to_currency: 'USD', rate_date: '2026-03-01', rate: '1.1' });
    await ok('POST', `${L}/fx-rates`, { from_currency: 'EUR', to_currency: 'USD', rate_date: '2026-03-16', rate: '2' }); // later: not used
    const b = await ok('GET', `${L}/budgets/2026-03`);
    // -10.05 EUR × 1.1 = -11.055 USD -> -11.06
    expect(line(b, 'Groceries').activity_minor).toBe(-1_106);
  });

  it('budget vs actual over a range equals the months one by one', async () => {
    const range = await ok('GET', `${L}/budgets?from=2026-01&to=2026-03`);
    expect(range.items.map((m: { month: string }) => m.month)).toEqual(['2026-01', '2026-02', '2026-03']);
    for (const m of range.items) expect(m).toEqual(await ok('GET', `${L}/budgets/${m.month}`));
  });

  it('bad input is a 4xx naming the field', async () => {
    const bad = async (method: string, url: string, payload: unknown, status: number, field: string) => {
      const r = await t.req({ method: method as 'PUT', url, headers: H, payload: payload as object });
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(JSON.stringify(r.body.errors ?? [])).toContain(field);
    };
    await bad('PUT', `${L}/budgets/2026-13`, { categories: [] }, 400, '/params/month');
    await bad('PUT', `${L}/budgets/2026-01`, { categories: [{ category_id: ids.salary, assigned_minor: 5 }] }, 422, '/body/categories/0/category_id');
    await bad('PUT', `${L}/budgets/2026-01`, { categories: [{ category_id: '00000000-0000-4000-8000-000000000000', assigned_minor: 5 }] }, 400, '/body/categories/0/category_id');
    await bad('PUT', `${L}/budgets/2026-01`, { categories: [{ category_id: ids.rent, assigned_minor: 1.5 }] }, 400, '/body/categories/0/assigned_minor');
    await bad('PUT', `${L}/budget-categories/${ids.rent}`, { mode: 'envelope', limit_minor: 5 }, 400, '/body/limit_minor');
    await bad('PUT', `${L}/budget-categories/${ids.rent}`, { mode: 'limit', limit_minor: -5 }, 400, '/body/limit_minor');
    expect((await t.req({ method: 'PUT', url: `${L}/budgets/2026-01/categories/00000000-0000-4000-8000-000000000000`, headers: H, payload: { assigned_minor: 1 } })).status).toBe(404);
  });
});
