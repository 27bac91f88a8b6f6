// The reports over HTTP on a small ledger whose every number is worked out by
// hand below: sign conventions, splits by part, transfers left out of flows,
// pending rows counted, opening balances from opened_on, the rollup and scan
// paths agreeing, CSV, conversion and the errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let token: string;
let L: string;
const ids: Record<string, string> = {};

async function post(url: string, payload: unknown) {
  const r = await t.req({ method: 'POST', url, payload: payload as object, token });
  if (r.status >= 300) throw new Error(`${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const get = (url: string, headers: Record<string, string> = {}) => t.req({ method: 'GET', url: `/api/v1/ledgers/${L}/reports/${url}`, token, headers });

beforeAll(async () => {
  t = await createTestApp();
  token = (await t.user()).token;
  L = (await post('/api/v1/ledgers', { name: 'Reports by hand', base_currency: 'USD' })).id;
  const p = `/api/v1/ledgers/${L}`;
  ids.checking = (await post(`${p}/accounts`, { name: 'Checking', type: 'checking', currency: 'USD', opening_balance_minor: 100_000 })).id;
  ids.visa = (await post(`${p}/accounts`, { name: 'Visa', type: 'credit_card', currency: 'USD' })).id;
  ids.savings = (await post(`${p}/accounts`, { name: 'Savings', type: 'savings', currency: 'USD', opening_balance_minor: 50_000, opened_on: '2024-02-01' })).id;
  const living = (await post(`${p}/category-groups`, { name: 'Living' })).id;
  const income = (await post(`${p}/category-groups`, { name: 'Income', is_income: true })).id;
  ids.groceries = (await post(`${p}/categories`, { name: 'Groceries', group_id: living })).id;
  ids.rent = (await post(`${p}/categories`, { name: 'Rent', group_id: living })).id;
  ids.salary = (await post(`${p}/categories`, { name: 'Salary', group_id: income })).id;
  const tx = (b: object) => post(`${p}/transactions`, b);
  await tx({ account_id: ids.checking, posted_on: '2024-01-05', amount_minor: 300_000, category_id: ids.salary, payee_name: 'Acme' });
  await tx({ account_id: ids.checking, posted_on: '2024-01-10', amount_minor: -120_000, category_id: ids.rent, payee_name: 'Landlord' });
  await tx({ account_id: ids.visa, posted_on: '2024-01-15', amount_minor: -5_000, category_id: ids.groceries, payee_name: 'Market' });
  await tx({ account_id: ids.visa, posted_on: '2024-01-20', amount_minor: -8_000, payee_name: 'Market', splits: [{ amount_minor: -6_000, category_id: ids.groceries }, { amount_minor: -2_000 }] });
  await tx({ account_id: ids.checking, posted_on: '2024-02-03', amount_minor: -13_000, transfer_account_id: ids.visa });
  await tx({ account_id: ids.visa, posted_on: '2024-02-10', amount_minor: 1_000, category_id: ids.groceries, payee_name: 'Market' });
  await tx({ account_id: ids.checking, posted_on: '2024-02-15', amount_minor: -120_000, category_id: ids.rent, payee_name: 'Landlord' });
  const cafe = await tx({ account_id: ids.checking, posted_on: '2024-02-20', amount_minor: -3_000, payee_name: 'Cafe' });
  await tx({ account_id: ids.savings, posted_on: '2024-03-01', amount_minor: 10_000, payee_name: 'Bank' });
  // Pending rows come from imports; mark one directly.
  await t.c.db.kysely.updateTable('transactions').set({ pending: true }).where('id', '=', cafe.id).execute();
});
afterAll(async () => t?.close());

const RANGE = 'from=2024-01-01&to=2024-02-29';

describe('spending by category by month', () => {
  it('counts splits by part, leaves transfers and income categories out, keeps signs', async () => {
    const r = await get(`spending?${RANGE}`);
    expect(r.status).toBe(200);
    expect(r.body.months).toEqual(['2024-01', '2024-02']);
    expect(r.body.source).toBe('rollups');
    expect(r.body.categories.map((c: { name: string | null; amounts_minor: number[]; total_minor: number }) => [c.name, c.amounts_minor, c.total_minor])).toEqual([
      ['Rent', [-120_000, -120_000], -240_000],
      ['Groceries', [-11_000, 1_000], -10_000],
      // The split's uncategorized part (January) and the pending café row (February).
      [null, [-2_000, -3_000], -5_000],
    ]);
    expect(r.body.totals_minor).toEqual([-133_000, -122_000]);
    expect(r.body.total_minor).toBe(-255_000);
  });

  it('kind=income and kind=all', async () => {
    const inc = await get(`spending?${RANGE}&kind=income`);
    expect(inc.body.categories.map((c: { name: string }) => c.name)).toEqual(['Salary']);
    expect(inc.body.total_minor).toBe(300_000);
    const all = await get(`spending?${RANGE}&kind=all`);
    expect(all.body.total_minor).toBe(300_000 - 255_000);
  });

  it('a query on accounts or transfers still reads the rollups; any other query scans, and all agree', async () => {
    const byAccount = await get(`spending?${RANGE}&q=${encodeURIComponent('account:visa')}`);
    const byPayee = await get(`spending?${RANGE}&q=${encodeURIComponent('payee:market')}`);
    const notTransfer = await get(`spending?${RANGE}&q=${encodeURIComponent('-is:transfer')}`);
    expect(notTransfer.body.source).toBe('rollups');
    expect(notTransfer.body.categories).toEqual((await get(`spending?${RANGE}`)).body.categories);
    expect(byAccount.body.source).toBe('rollups');
    expect(byPayee.body.source).toBe('rows');
    for (const r of [byAccount, byPayee]) {
      expect(r.body.categories.map((c: { name: string | null; amounts_minor: number[] }) => [c.name, c.amounts_minor])).toEqual([
        ['Groceries', [-11_000, 1_000]],
        [null, [-2_000, 0]],
      ]);
    }
  });

  it('pending rows count unless the query leaves them out', async () => {
    const r = await get(`spending?${RANGE}&q=${encodeURIComponent('-is:pending')}`);
    expect(r.body.categories.find((c: { name: string | null }) => c.name === null).amounts_minor).toEqual([-2_000, 0]);
  });

  it('partial months at the edges come from the rows and match', async () => {
    const r = await get('spending?from=2024-01-12&to=2024-02-12');
    expect(r.body.categories.map((c: { name: string | null; amounts_minor: number[] }) => [c.name, c.amounts_minor])).toEqual([
      ['Groceries', [-11_000, 1_000]],
      [null, [-2_000, 0]],
    ]);
  });
});

describe('cash flow', () => {
  it('income is money in, expense money out, transfers in neither', async () => {
    const r = await get(`cashflow?${RANGE}`);
    expect(r.body.rows).toEqual([
      { month: '2024-01', income_minor: 300_000, expense_minor: -133_000, net_minor: 167_000 },
      { month: '2024-02', income_minor: 1_000, expense_minor: -123_000, net_minor: -122_000 },
    ]);
    expect(r.body.total).toEqual({ income_minor: 301_000, expense_minor: -256_000, net_minor: 45_000 });
  });
});

describe('top payees', () => {
  it('ranks by money out, splits whole, with others and a total that add up', async () => {
    const r = await get(`payees?${RANGE}&limit=2`);
    expect(r.body.payees.map((p: { name: string; net_minor: number; inflow_minor: number; outflow_minor: number; count: number }) => [p.name, p.net_minor, p.inflow_minor, p.outflow_minor, p.count])).toEqual([
      ['Landlord', -240_000, 0, -240_000, 2],
      ['Market', -12_000, 1_000, -13_000, 3],
    ]);
    expect(r.body.others).toEqual({ payees: 1, net_minor: -3_000, inflow_minor: 0, outflow_minor: -3_000, count: 1 });
    expect(r.body.total.net_minor).toBe(-255_000);
    const income = await get(`payees?${RANGE}&kind=income`);
    expect(income.body.payees.map((p: { name: string }) => p.name)).toEqual(['Acme']);
  });
});

describe('balances and net worth', () => {
  it('month-end balances from the opening balance, null before an account opened', async () => {
    const r = await get(`balances?${RANGE}`);
    expect(r.body.dates).toEqual(['2024-01-31', '2024-02-29']);
    const by = Object.fromEntries(r.body.accounts.map((a: { name: string; balances_minor: (number | null)[] }) => [a.name, a.balances_minor]));
    expect(by).toEqual({ Checking: [280_000, 144_000], Visa: [-13_000, 1_000], Savings: [null, 50_000] });
    expect(r.body.totals_minor).toEqual([267_000, 195_000]);
  });

  it('a mid-month end date is the last point', async () => {
    const r = await get('balances?from=2024-02-05&to=2024-03-01');
    expect(r.body.dates).toEqual(['2024-02-29', '2024-03-01']);
    const savings = r.body.accounts.find((a: { name: string }) => a.name === 'Savings');
    expect(savings.balances_minor).toEqual([50_000, 60_000]);
  });

  it('net worth splits assets and liabilities by sign', async () => {
    const r = await get(`net-worth?${RANGE}`);
    expect(r.body.points).toEqual([
      { date: '2024-01-31', assets_minor: 280_000, liabilities_minor: -13_000, net_worth_minor: 267_000 },
      { date: '2024-02-29', assets_minor: 195_000, liabilities_minor: 0, net_worth_minor: 195_000 },
    ]);
  });

  it('a query applies to opening balances as to transactions', async () => {
    const checking = await get(`net-worth?${RANGE}&q=${encodeURIComponent('account:checking')}`);
    expect(checking.body.source).toBe('rollups');
    expect(checking.body.points.map((p: { net_worth_minor: number }) => p.net_worth_minor)).toEqual([280_000, 144_000]);
    // A payee query drops the opening balances (they have no payee).
    const landlord = await get(`balances?${RANGE}&q=${encodeURIComponent('payee:landlord')}`);
    expect(landlord.body.source).toBe('rows');
    expect(landlord.body.accounts.map((a: { name: string; balances_minor: number[] }) => [a.name, a.balances_minor])).toEqual([['Checking', [-120_000, -240_000]]]);
  });
});

describe('trend', () => {
  it('the biggest expense lines by default, with average, extremes and change', async () => {
    const r = await get(`trend?${RANGE}&top=2`);
    expect(r.body.series.map((s: { name: string }) => s.name)).toEqual(['Rent', 'Groceries']);
    const g = r.body.series[1];
    expect(g).toMatchObject({ amounts_minor: [-11_000, 1_000], changes_minor: [null, 12_000], total_minor: -10_000, average_minor: -5_000, min_minor: -11_000, max_minor: 1_000 });
  });

  it('chosen ids, and groups', async () => {
    const r = await get(`trend?${RANGE}&ids=${ids.groceries},none`);
    expect(r.body.series.map((s: { name: string; total_minor: number }) => [s.name, s.total_minor])).toEqual([['Groceries', -10_000], ['(uncategorized)', -5_000]]);
    const g = await get(`trend?${RANGE}&by=group`);
    expect(g.body.series.map((s: { name: string; total_minor: number }) => [s.name, s.total_minor])).toEqual([['Living', -250_000], ['(no group)', -5_000]]);
  });
});

describe('CSV', () => {
  it('?format=csv and Accept: text/csv give the same table', async () => {
    const a = await get(`spending?${RANGE}&format=csv`);
    const b = await get(`spending?${RANGE}`, { accept: 'text/csv' });
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toMatch(/^text\/csv/);
    expect(a.headers['content-disposition']).toBe('attachment; filename="spending-2024-01-01-2024-02-29.csv"');
    expect(a.body).toBe(b.body);
    expect(a.body).toBe('category,group,2024-01,2024-02,total\r\nRent,Living,-1200.00,-1200.00,-2400.00\r\nGroceries,Living,-110.00,10.00,-100.00\r\n(uncategorized),,-20.00,-30.00,-50.00\r\nTotal,,-1330.00,-1220.00,-2550.00\r\n');
  });

  it('every report has a CSV form', async () => {
    for (const name of ['cashflow', 'payees', 'trend', 'net-worth', 'balances']) {
      const r = await get(`${name}?${RANGE}&format=csv`);
      expect(r.status, name).toBe(200);
      expect(String(r.body).split('\r\n').length, name).toBeGreaterThan(2);
    }
    expect((await get(`net-worth?${RANGE}&format=csv`)).body).toBe('date,assets,liabilities,net_worth\r\n2024-01-31,2800.00,-130.00,2670.00\r\n2024-02-29,1950.00,0.00,1950.00\r\n');
  });
});

describe('currencies', () => {
  it('a missing rate is a 422 naming the pair and the earliest date', async () => {
    const r = await get(`cashflow?${RANGE}&currency=EUR`);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'FX_RATE_MISSING', from_currency: 'USD', to_currency: 'EUR', date: '2024-01-05' });
  });

  it('converts each transaction at its own date and each balance at its date', async () => {
    await t.c.db.kysely.insertInto('fx_rates').values([
      { ledger_id: L, from_currency: 'USD', to_currency: 'EUR', rate_date: '2024-01-01', rate: '0.5' },
      { ledger_id: L, from_currency: 'USD', to_currency: 'EUR', rate_date: '2024-02-01', rate: '0.25' },
    ]).execute();
    const r = await get(`cashflow?${RANGE}&currency=EUR`);
    expect(r.body.currency).toBe('EUR');
    expect(r.body.rows).toEqual([
      { month: '2024-01', income_minor: 150_000, expense_minor: -66_500, net_minor: 83_500 },
      { month: '2024-02', income_minor: 250, expense_minor: -30_750, net_minor: -30_500 },
    ]);
    const nw = await get(`net-worth?${RANGE}&currency=EUR`);
    expect(nw.body.points.map((p: { net_worth_minor: number }) => p.net_worth_minor)).toEqual([133_500, 48_750]);
  });
});

describe('bad input is a 4xx problem naming the field', () => {
  it.each([
    ['spending?q=payee:', 400, 'QUERY_INVALID', '/query/q'],
    ['spending?from=2024-03-01&to=2024-01-01', 400, 'VALIDATION_FAILED', '/query/from'],
    ['spending?from=2024-02-30', 400, 'VALIDATION_FAILED', '/query/from'],
    ['spending?kind=refunds', 400, 'VALIDATION_FAILED', '/query/kind'],
    ['cashflow?currency=XYZ', 400, 'VALIDATION_FAILED', '/query/currency'],
    ['payees?limit=0', 400, 'VALIDATION_FAILED', '/query/limit'],
    ['trend?ids=nope', 400, 'VALIDATION_FAILED', '/query/ids/0'],
    ['trend?ids=00000000-0000-4000-8000-000000000000', 400, 'VALIDATION_FAILED', '/query/ids/0'],
    ['spending?from=1900-01-01&to=2999-12-31', 400, 'VALIDATION_FAILED', '/query/from'],
  ])('%s', async (url, status, code, field) => {
    const r = await get(url);
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.body.code).toBe(code);
    // Schema checks name /querystring/…, service checks /query/…: the same parameter either way.
    expect(r.body.errors?.map((e: { field: string }) => e.field.replace(/^\/querystring\//, '/query/'))).toContain(field);
  });
});

describe('budget vs actual', () => {
  it('lays out the envelope budget month by month, the same numbers as the budget API', async () => {
    await t.req({ method: 'PUT', url: `/api/v1/ledgers/${L}/budgets/2024-01`, token, payload: { categories: [{ category_id: ids.groceries, assigned_minor: 10_000 }, { category_id: ids.rent, assigned_minor: 120_000 }] } });
    await t.req({ method: 'PUT', url: `/api/v1/ledgers/${L}/budgets/2024-02`, token, payload: { categories: [{ category_id: ids.groceries, assigned_minor: 10_000 }] } });
    const r = await get(`budget?${RANGE}`);
    expect(r.status).toBe(200);
    const budget = await t.req({ method: 'GET', url: `/api/v1/ledgers/${L}/budgets?from=2024-01&to=2024-02`, token });
    const months = budget.body.items as { categories: { category_id: string; budgeted_minor: number; activity_minor: number; available_minor: number }[]; to_be_budgeted_minor: number }[];
    const groceries = r.body.categories.find((c: { name: string }) => c.name === 'Groceries');
    expect(groceries.budgeted_minor).toEqual([10_000, 10_000]);
    expect(groceries.actual_minor).toEqual(months.map((m) => m.categories.find((c) => c.category_id === ids.groceries)!.activity_minor));
    expect(groceries.available_minor).toEqual(months.map((m) => m.categories.find((c) => c.category_id === ids.groceries)!.available_minor));
    // Groceries spent 110.00 in January (the split's part included) and got 10.00 back in February.
    expect(groceries.actual_minor).toEqual([-11_000, 1_000]);
    expect(r.body.totals.to_be_budgeted_minor).toEqual(months.map((m) => m.to_be_budgeted_minor));
    const csv = await get(`budget?${RANGE}&format=csv`);
    expect(csv.body.split('\r\n')[0]).toBe('category,group,2024-01 budgeted,2024-01 actual,2024-01 available,2024-02 budgeted,2024-02 actual,2024-02 available');
  });

  it('a query narrows actual to the rows it selects; budgeted and available stay the envelope\'s', async () => {
    const line = (body: any, name: string) => body.categories.find((c: { name: string }) => c.name === name);
    const all = (await get(`budget?${RANGE}`)).body;
    // Keys only (answered per account): everything Groceries spent was on the Visa card, Rent was paid from checking.
    const visa = await get(`budget?${RANGE}&q=${encodeURIComponent('account:visa')}`);
    expect(visa.status, JSON.stringify(visa.body)).toBe(200);
    expect(visa.body.query).toBe('account:visa');
    expect(line(visa.body, 'Groceries').actual_minor).toEqual([-11_000, 1_000]);
    expect(line(visa.body, 'Rent').actual_minor).toEqual([0, 0]);
    for (const name of ['Groceries', 'Rent']) {
      expect(line(visa.body, name).budgeted_minor).toEqual(line(all, name).budgeted_minor);
      expect(line(visa.body, name).available_minor).toEqual(line(all, name).available_minor);
    }
    expect(visa.body.totals.actual_minor).toEqual([-11_000, 1_000]);
    expect(visa.body.totals.to_be_budgeted_minor).toEqual(all.totals.to_be_budgeted_minor);
    // A scan: the query applies to whole transactions, so the 80.00 split counts with its 60.00 Groceries part and the 50.00 row does not.
    const big = await get(`budget?${RANGE}&q=${encodeURIComponent('amount:<-70')}`);
    expect(line(big.body, 'Groceries').actual_minor).toEqual([-6_000, 0]);
    expect(line(big.body, 'Rent').actual_minor).toEqual([-120_000, -120_000]);
    expect(big.body.totals.actual_minor).toEqual([-126_000, -120_000]);
    // A query and its negation split the actual exactly.
    const rest = (await get(`budget?${RANGE}&q=${encodeURIComponent('-amount:<-70')}`)).body;
    for (const name of ['Groceries', 'Rent']) {
      expect(line(big.body, name).actual_minor.map((v: number, i: number) => v + line(rest, name).actual_minor[i])).toEqual(line(all, name).actual_minor);
    }
    // A transfer between two budget accounts is not activity, with or without a query.
    expect((await get(`budget?${RANGE}&q=is:transfer`)).body.totals.actual_minor).toEqual([0, 0]);
    const bad = await get(`budget?${RANGE}&q=${encodeURIComponent('amount:>')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('/query/q');
  });

  it('takes only the budget currency', async () => {
    expect((await get(`budget?${RANGE}&currency=EUR`)).body.errors[0].field).toBe('/query/currency');
  });
});

describe("another ledger's ids", () => {
  it('in trend ids answer exactly like ids that exist nowhere, and queries only see this ledger', async () => {
    const other = await t.user();
    const req = (url: string) => t.req({ method: 'GET', url: `/api/v1/ledgers/${L}/reports/${url}`, token });
    const L2 = (await t.req({ method: 'POST', url: '/api/v1/ledgers', token: other.token, payload: { name: 'Elsewhere', base_currency: 'USD' } })).body.id;
    const g = (await t.req({ method: 'POST', url: `/api/v1/ledgers/${L2}/category-groups`, token: other.token, payload: { name: 'Theirs' } })).body.id;
    const theirs = (await t.req({ method: 'POST', url: `/api/v1/ledgers/${L2}/categories`, token: other.token, payload: { name: 'Groceries', group_id: g } })).body.id;
    const a = await req(`trend?${RANGE}&ids=${theirs}`);
    const b = await req(`trend?${RANGE}&ids=00000000-0000-4000-8000-000000000000`);
    expect(a.status).toBe(400);
    expect({ detail: a.body.detail, errors: a.body.errors }).toEqual({ detail: b.body.detail, errors: b.body.errors });
    // The other ledger's reports are not this user's to read.
    expect((await t.req({ method: 'GET', url: `/api/v1/ledgers/${L2}/reports/spending`, token })).status).toBe(404);
    // category:Groceries means this ledger's Groceries only.
    const mine = await req(`spending?${RANGE}&q=${encodeURIComponent('category:groceries')}`);
    expect(mine.body.categories.map((c: { category_id: string | null }) => c.category_id)).toContain(ids.groceries);
    expect(mine.body.categories.map((c: { category_id: string | null }) => c.category_id)).not.toContain(theirs);
  });
});

describe('junk input never makes a 500', () => {
  it('random query strings on every report and recurring read', async () => {
    const { createPrng } = await import('../../src/demo/prng.ts');
    const r = createPrng('report-junk');
    const junk = ['', 'x', '-1', '0', '1e3', '2024-13-01', '2024-02-30', '0000-01-01', '9999-12-31', 'null', '%00', '\u0000', 'é', '"', "'", ';drop', 'a'.repeat(5000), 'payee:', '(', 'amount:>1e9', 'notes:~(', 'date:2024-99', 'NaN', 'usd', 'EUR', 'XTS', 'csv', 'json', 'none', ',', ',,', '00000000-0000-4000-8000-000000000000'];
    const params = ['from', 'to', 'q', 'currency', 'format', 'kind', 'limit', 'ids', 'by', 'top', 'days', 'months', 'tolerance_bp', 'include_dismissed'];
    const paths = ['spending', 'cashflow', 'net-worth', 'balances', 'payees', 'trend', 'budget'].map((p) => `reports/${p}`).concat(['recurring/detect', 'recurring/upcoming', 'recurring/alerts', 'schedules']);
    let n = 0;
    for (let i = 0; i < 250; i++) {
      const qs = Array.from({ length: r.int(0, 4) }, () => `${r.pick(params)}=${encodeURIComponent(r.pick(junk))}`).join('&');
      const url = `/api/v1/ledgers/${L}/${r.pick(paths)}?${qs}`;
      const res = await t.req({ method: 'GET', url, token });
      expect(res.status, url).toBeLessThan(500);
      if (res.status >= 400) {
        expect(String(res.headers['content-type']), url).toMatch(/^application\/problem\+json/);
        expect(typeof res.body.code, url).toBe('string');
      } else n++;
    }
    // Some of them were fine requests.
    expect(n).toBeGreaterThan(20);
  });
});
