// Property test: the budget the API serves (SQL sums, converted row by row in
// SQL, then the rollover arithmetic) equals a brute-force recomputation from
// the generator's own record of every row, month by month, on random ledgers
// with splits, transfers (also across currencies and out of the budget),
// pending rows, foreign-currency accounts, limit-mode categories and negative
// assignments. Also: to be budgeted + everything available = all counted money.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/auth/actor.ts';
import type { CurrencyCode } from '../../src/money/currencies.ts';
import type { Minor } from '../../src/money/money.ts';
import { RateBook } from '../../src/fx/rate-book.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildRandomLedger, type GenLedger } from './random-ledger.ts';

const SEED = process.env.FINHUB_PROPERTY_SEED ?? 'budget-prop-1';
const ON_BUDGET = new Set(['checking', 'savings', 'credit_card', 'cash']);

let t: TestApp;
let actor: Actor;
let headers: Record<string, string>;

beforeAll(async () => {
  t = await createTestApp();
  const u = await t.user();
  headers = u.headers;
  actor = { userId: u.id, isAdmin: false, via: 'cli' };
});
afterAll(async () => t?.close());

interface BruteMonth {
  month: string;
  tbb: bigint;
  income: bigint;
  counted: bigint;
  cats: Map<string, { carried: bigint; budgeted: bigint; activity: bigint; available: bigint }>;
  incomeCats: Map<string, bigint>;
}

const next = (m: string) => {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
};

/** Straight from the rules in docs/budgets.md, over the generator's rows (not the database). */
function brute(g: GenLedger, to: string): BruteMonth[] {
  const book = new RateBook(g.base as CurrencyCode, g.rates);
  const acct = new Map(g.accounts.map((a) => [a.id, a]));
  const on = (id: string) => ON_BUDGET.has(acct.get(id)!.type);
  const conv = (amount: bigint, accountId: string, d: string) => book.convert(amount as Minor, acct.get(accountId)!.currency as CurrencyCode, g.base as CurrencyCode, d) as bigint;
  const counted = g.rows.filter((r) => on(r.accountId) && !(r.peerAccountId && on(r.peerAccountId))).map((r) => ({ ...r, v: conv(r.amount, r.accountId, r.postedOn), month: r.postedOn.slice(0, 7) }));
  const openings = g.accounts.filter((a) => on(a.id) && a.opening !== 0n).map((a) => ({ month: a.openedOn.slice(0, 7), v: conv(a.opening, a.id, a.openedOn) }));
  const catById = new Map(g.categories.map((c) => [c.id, c]));
  const starts = [...counted.map((r) => r.month), ...openings.map((o) => o.month), ...g.assignments.map((a) => a.month)].sort();
  const out: BruteMonth[] = [];
  let tbb = 0n;
  let returned = 0n;
  let total = 0n;
  const prev = new Map<string, bigint>();
  for (let m = starts[0] ?? to; m <= to; m = next(m)) {
    const here = counted.filter((r) => r.month === m);
    let income = openings.filter((o) => o.month === m).reduce((s, o) => s + o.v, 0n);
    const incomeCats = new Map<string, bigint>();
    for (const r of here) {
      if (r.categoryId === null) income += r.v;
      else if (catById.get(r.categoryId)!.isIncome) {
        income += r.v;
        incomeCats.set(r.categoryId, (incomeCats.get(r.categoryId) ?? 0n) + r.v);
      }
    }
    const cats = new Map<string, { carried: bigint; budgeted: bigint; activity: bigint; available: bigint }>();
    let budgetedSum = 0n;
    let nextReturned = 0n;
    for (const c of g.categories.filter((x) => !x.isIncome)) {
      const explicit = g.assignments.find((a) => a.categoryId === c.id && a.month === m);
      const budgeted = explicit ? explicit.amount : c.mode === 'limit' ? (c.limit ?? 0n) : 0n;
      const before = prev.get(c.id) ?? 0n;
      const carried = c.mode === 'envelope' && before > 0n ? before : 0n;
      const activity = here.filter((r) => r.categoryId === c.id).reduce((s, r) => s + r.v, 0n);
      const available = carried + budgeted + activity;
      cats.set(c.id, { carried, budgeted, activity, available });
      prev.set(c.id, available);
      budgetedSum += budgeted;
      nextReturned += c.mode === 'limit' ? available : available < 0n ? available : 0n;
    }
    tbb = tbb + income + returned - budgetedSum;
    returned = nextReturned;
    total += income + [...cats.values()].reduce((s, x) => s + x.activity, 0n);
    out.push({ month: m, tbb, income, counted: total, cats, incomeCats });
  }
  return out;
}

const seen = { foreignRows: 0, pendingRows: 0, splitParts: 0, crossCurrencyTransfers: 0, offBudgetTransfers: 0, limitCategories: 0, negativeAssignments: 0, inverseOnly: 0 };

function tally(g: GenLedger) {
  const acct = new Map(g.accounts.map((a) => [a.id, a]));
  const on = (id: string) => ON_BUDGET.has(acct.get(id)!.type);
  for (const r of g.rows) {
    if (!on(r.accountId)) continue;
    if (acct.get(r.accountId)!.currency !== g.base) seen.foreignRows++;
    if (r.pending) seen.pendingRows++;
    if (r.peerAccountId && acct.get(r.peerAccountId)!.currency !== acct.get(r.accountId)!.currency) seen.crossCurrencyTransfers++;
    if (r.peerAccountId && !on(r.peerAccountId)) seen.offBudgetTransfers++;
  }
  seen.splitParts += g.rows.filter((r) => !r.peerAccountId).length - new Set(g.rows.filter((r) => !r.peerAccountId).map((r) => `${r.accountId}${r.postedOn}`)).size;
  seen.limitCategories += g.categories.filter((c) => c.mode === 'limit').length;
  seen.negativeAssignments += g.assignments.filter((a) => a.amount < 0n).length;
  seen.inverseOnly += g.rates.filter((x) => x.from_currency === g.base).length;
}

async function check(g: GenLedger, label: string) {
  tally(g);
  const to = '2026-05';
  const want = brute(g, to).filter((m) => m.month >= '2025-10');
  const r = await t.req({ method: 'GET', url: `/api/v1/ledgers/${g.ledgerId}/budgets?from=2025-10&to=${to}`, headers });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.items.map((m: { month: string }) => m.month), label).toEqual(want.map((m) => m.month));
  for (const [i, m] of (r.body.items as any[]).entries()) {
    const w = want[i]!;
    const where = `${label} ${m.month}`;
    expect(BigInt(m.to_be_budgeted_minor), `${where} to be budgeted`).toBe(w.tbb);
    expect(BigInt(m.income_minor), `${where} income`).toBe(w.income);
    // Conservation: the pool plus every envelope is all the counted money so far.
    expect(BigInt(m.to_be_budgeted_minor) + BigInt(m.available_minor), `${where} conservation`).toBe(w.counted);
    for (const line of m.categories) {
      const wc = w.cats.get(line.category_id)!;
      expect({ carried: BigInt(line.carried_over_minor), budgeted: BigInt(line.budgeted_minor), activity: BigInt(line.activity_minor), available: BigInt(line.available_minor) }, `${where} ${line.name}`).toEqual(wc);
    }
    for (const inc of m.income_categories) expect(BigInt(inc.activity_minor), `${where} ${inc.name}`).toBe(w.incomeCats.get(inc.category_id) ?? 0n);
  }
  return want;
}

/** Per month and expense category: what the budget counts of the rows `pick` selects (converted at each row's date). */
function bruteActual(g: GenLedger, pick: (r: GenLedger['rows'][number]) => boolean): Map<string, bigint> {
  const book = new RateBook(g.base as CurrencyCode, g.rates);
  const acct = new Map(g.accounts.map((a) => [a.id, a]));
  const on = (id: string) => ON_BUDGET.has(acct.get(id)!.type);
  const out = new Map<string, bigint>();
  for (const r of g.rows) {
    if (!on(r.accountId) || (r.peerAccountId && on(r.peerAccountId)) || r.categoryId === null || !pick(r)) continue;
    const v = book.convert(r.amount as Minor, acct.get(r.accountId)!.currency as CurrencyCode, g.base as CurrencyCode, r.postedOn) as bigint;
    const key = `${r.postedOn.slice(0, 7)} ${r.categoryId}`;
    out.set(key, (out.get(key) ?? 0n) + v);
  }
  return out;
}

/** The budget report with a query: actual is the selected rows' activity; budgeted and available are the unfiltered budget's. */
async function checkQueries(g: GenLedger, label: string) {
  const range = 'from=2025-10-01&to=2026-05-31';
  const get = async (q?: string) => {
    const r = await t.req({ method: 'GET', url: `/api/v1/ledgers/${g.ledgerId}/reports/budget?${range}${q === undefined ? '' : `&q=${encodeURIComponent(q)}`}`, headers });
    expect(r.status, `${label} ${q}: ${JSON.stringify(r.body)}`).toBe(200);
    return r.body as { months: string[]; categories: { category_id: string; budgeted_minor: number[]; actual_minor: number[]; available_minor: number[] }[] };
  };
  const all = await get();
  const names = await t.c.db.kysely.selectFrom('accounts').select(['id', 'name']).where('ledger_id', '=', g.ledgerId).execute();
  const onBudget = g.accounts.filter((a) => ON_BUDGET.has(a.type));
  const target = names.find((n) => n.id === onBudget[0]!.id)!.name;
  const hit = (id: string) => names.find((n) => n.id === id)!.name.toLowerCase().includes(target.toLowerCase());
  const cases: [string, (r: GenLedger['rows'][number]) => boolean][] = [
    ['is:pending', (r) => r.pending],
    ['-is:pending', (r) => !r.pending],
    // Answered per account (keys), and the same condition forced through a scan of the rows.
    [`account:"${target}"`, (r) => hit(r.accountId)],
    [`account:"${target}" (is:pending OR -is:pending)`, (r) => hit(r.accountId)],
  ];
  let narrowed = 0;
  for (const [q, pick] of cases) {
    const want = bruteActual(g, pick);
    const got = await get(q);
    for (const line of got.categories) {
      const unfiltered = all.categories.find((c) => c.category_id === line.category_id)!.actual_minor;
      narrowed += line.actual_minor.filter((v, i) => v !== 0 && v !== unfiltered[i]).length;
      const base = all.categories.find((c) => c.category_id === line.category_id)!;
      expect(line.budgeted_minor, `${label} ${q} budgeted`).toEqual(base.budgeted_minor);
      expect(line.available_minor, `${label} ${q} available`).toEqual(base.available_minor);
      expect(line.actual_minor.map(BigInt), `${label} ${q} actual of ${line.category_id}`).toEqual(got.months.map((m) => want.get(`${m} ${line.category_id}`) ?? 0n));
    }
  }
  // The queries really narrowed something: some month's actual is neither zero nor the unfiltered one.
  expect(narrowed, `${label}: no query changed any actual`).toBeGreaterThan(0);
}

describe('budget vs brute force', () => {
  it.each([0, 1, 2, 3])('single-currency ledger %i', async (i) => {
    const g = await buildRandomLedger(t.c, actor, `${SEED}/single/${i}`, { multiCurrency: false });
    const months = await check(g, `seed ${SEED}/single/${i}`);
    await checkQueries(g, `seed ${SEED}/single/${i}`);
    expect(months.some((m) => [...m.cats.values()].some((c) => c.available < 0n)), 'some envelope is overspent').toBe(true);
    // With one currency, the counted money is the on-budget balance.
    const balances = await t.c.accounts.balances(actor, g.ledgerId);
    const onBudget = balances.accounts.filter((a) => ON_BUDGET.has(a.type)).reduce((s, a) => s + BigInt(a.balance_minor), 0n);
    expect(months[months.length - 1]!.counted).toBe(onBudget);
  });

  it.each([0, 1, 2, 3])('multi-currency ledger %i', async (i) => {
    const g = await buildRandomLedger(t.c, actor, `${SEED}/multi/${i}`, { multiCurrency: true });
    await check(g, `seed ${SEED}/multi/${i}`);
    await checkQueries(g, `seed ${SEED}/multi/${i}`);
  });

  it('the random ledgers exercised every feature', () => {
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(0);
  });
});
