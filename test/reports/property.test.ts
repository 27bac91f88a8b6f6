// Every report against a brute-force recomputation (test/reports/brute.ts)
// over random ledgers: splits with mixed-sign parts, transfers in one and
// across currencies, pending rows, three currencies with direct, inverse and
// triangulated rates, random date ranges (whole and partial months) and
// random queries (ones the rollups answer and ones that need a scan).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/auth/actor.ts';
import { createPrng, type Prng } from '../../src/demo/prng.ts';
import { createReportsService, type ReportsService } from '../../src/reports/reports.service.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { Brute } from './brute.ts';
import { randomLedger, type RandomLedger } from './fixture.ts';

const NOW = new Date('2024-06-20T12:00:00Z');
let t: TestApp;
let actor: Actor;
let svc: ReportsService;
let ledgers: RandomLedger[];

beforeAll(async () => {
  t = await createTestApp();
  const u = await t.user();
  actor = { userId: u.id, isAdmin: false, via: 'cli' };
  svc = createReportsService({ db: t.c.db, now: () => NOW });
  ledgers = [await randomLedger(t.c, actor, 1, 140), await randomLedger(t.c, actor, 2, 90)];
});
afterAll(async () => t?.close());

const TERMS = [
  'account:checking', 'account:visa', 'account:euro', 'is:transfer', '-is:transfer', 'payee:grocer', 'payee:landlord', 'category:food', 'category:none',
  'is:pending', '-is:pending', 'is:split', 'amount:>100', 'outflow:10..200', 'date:2024-03..2024-05', 'date:last-month', 'tag:trip', 'notes:refund', 'rent', 'is:reconciled',
];

function randomQuery(r: Prng): string {
  const term = () => (r.chance(200) ? '-' : '') + r.pick(TERMS);
  switch (r.int(0, 5)) {
    case 0:
      return '';
    case 1:
      return term();
    case 2:
      return `${term()} ${term()}`;
    case 3:
      return `${term()} OR ${term()}`;
    case 4:
      return `(${term()} OR ${term()}) ${term()}`;
    default:
      // Only rollup keys: accounts and transfers.
      return r.pick(['account:visa OR account:euro', '-account:checking', 'account:c -is:transfer', 'is:transfer OR account:yen', '-(account:visa OR is:transfer)']);
  }
}

function randomRange(r: Prng): { from: string; to: string } {
  const d = (m: number) => `2024-${String(m).padStart(2, '0')}-${String(r.chance(400) ? 1 : r.int(1, 28)).padStart(2, '0')}`;
  const a = r.int(1, 8);
  const b = r.int(a, 9);
  const from = r.chance(100) ? '2023-12-15' : d(a);
  let to = d(b);
  if (r.chance(300)) to = ['2024-01-31', '2024-02-29', '2024-04-30', '2024-08-31'][r.int(0, 3)]!;
  return from <= to ? { from, to } : { from: to, to: from };
}

const n = (v: bigint) => Number(v);
const keyOf = (id: string | null) => id ?? 'none';

async function check(l: RandomLedger, r: Prng) {
  const range = randomRange(r);
  const q = randomQuery(r);
  const currency = r.pick(['USD', 'USD', 'EUR', 'JPY']);
  const input = { ...range, q, currency };
  const b = new Brute(l, { ...input, now: NOW });
  const label = JSON.stringify(input);

  // Spending, each kind.
  for (const kind of ['expense', 'income', 'all'] as const) {
    const got = await svc.spending(actor, l.ledgerId, { ...input, kind });
    const want = b.byCategory(kind);
    expect(got.months, label).toEqual(b.months);
    expect(Object.fromEntries(got.categories.map((c) => [keyOf(c.category_id), c.amounts_minor])), `${label} spending ${kind}`).toEqual(Object.fromEntries([...want].map(([k, v]) => [k, v.map(n)])));
    expect(got.total_minor, label).toBe(n([...want.values()].flat().reduce((s, x) => s + x, 0n)));
  }

  const cf = await svc.cashflow(actor, l.ledgerId, input);
  const wcf = b.cashflow();
  expect(cf.rows, `${label} cashflow`).toEqual(b.months.map((month, i) => ({ month, income_minor: n(wcf.income[i]!), expense_minor: n(wcf.net[i]! - wcf.income[i]!), net_minor: n(wcf.net[i]!) })));

  const pay = await svc.payees(actor, l.ledgerId, { ...input, kind: 'all', limit: 1000 });
  const wpay = b.payees();
  expect(Object.fromEntries(pay.payees.map((p) => [keyOf(p.payee_id), [p.net_minor, p.inflow_minor, p.count]])), `${label} payees`).toEqual(Object.fromEntries([...wpay].filter(([, x]) => x.count > 0n).map(([k, x]) => [k, [n(x.net), n(x.inflow), n(x.count)]])));
  // Payee totals reconcile with cash flow.
  expect(pay.total.net_minor, label).toBe(cf.total.net_minor);
  const top = await svc.payees(actor, l.ledgerId, { ...input, kind: 'expense', limit: 2 });
  expect(top.payees.every((p) => p.net_minor < 0), label).toBe(true);
  expect(top.payees.map((p) => p.net_minor), label).toEqual([...wpay.values()].map((x) => n(x.net)).filter((v) => v < 0).sort((x, y) => x - y).slice(0, 2));
  expect(top.total.net_minor, label).toBe(top.payees.reduce((s, p) => s + p.net_minor, 0) + top.others.net_minor);

  const ids = [...l.categories.map((c) => c.id), 'none'];
  const tr = await svc.trend(actor, l.ledgerId, { ...input, ids });
  const all = b.byCategory('all');
  for (const s of tr.series) {
    const w = all.get(keyOf(s.id)) ?? b.months.map(() => 0n);
    const total = w.reduce((x, y) => x + y, 0n);
    expect([s.amounts_minor, s.total_minor, s.average_minor, s.min_minor, s.max_minor], `${label} trend ${s.name}`).toEqual([w.map(n), n(total), n(b.average(total)), Math.min(...w.map(n)), Math.max(...w.map(n))]);
  }

  const bal = await svc.balances(actor, l.ledgerId, input);
  const wbal = b.balances();
  expect(bal.dates, label).toEqual(b.dates());
  expect(bal.accounts.map((a) => [a.name, a.balances_minor, a.converted_minor]), `${label} balances`).toEqual(
    [...wbal].sort((x, y) => x.account.name.localeCompare(y.account.name)).map((a) => [a.account.name, a.native.map((v) => (v === null ? null : n(v))), a.converted.map((v) => (v === null ? null : n(v)))]),
  );
  const nw = await svc.netWorth(actor, l.ledgerId, input);
  expect(nw.points.map((p) => [p.assets_minor, p.liabilities_minor, p.net_worth_minor]), `${label} net worth`).toEqual(
    b.dates().map((_, i) => {
      const vs = wbal.map((a) => a.converted[i] ?? 0n);
      const assets = vs.filter((v) => v > 0n).reduce((s, v) => s + v, 0n);
      const liab = vs.filter((v) => v < 0n).reduce((s, v) => s + v, 0n);
      return [n(assets), n(liab), n(assets + liab)];
    }),
  );
  return cf.source;
}

describe('reports equal a brute-force recomputation', () => {
  it.each([0, 1])('ledger %i, random ranges, currencies and queries', async (i) => {
    const r = createPrng(`report-cases-${i}`);
    const sources = new Set<string>();
    for (let c = 0; c < 30; c++) sources.add(await check(ledgers[i]!, r));
    // Both paths were exercised.
    expect([...sources].sort()).toEqual(['rollups', 'rows']);
  });

  it('the fixture has what the properties are about', () => {
    const rows = ledgers.flatMap((l) => l.rows);
    expect(rows.some((r) => r.is_split && r.parts.some((p) => p.amount > 0n) && r.parts.some((p) => p.amount < 0n))).toBe(true);
    expect(rows.some((r) => r.is_transfer && r.currency !== 'USD')).toBe(true);
    expect(rows.some((r) => r.pending)).toBe(true);
    expect(new Set(rows.map((r) => r.currency))).toEqual(new Set(['USD', 'EUR', 'JPY']));
  });

  it('a currency without rates is a 422 naming the pair and the earliest date, in the service and the brute force alike', async () => {
    const l = ledgers[0]!;
    const input = { from: '2024-01-01', to: '2024-08-31', q: '', currency: 'GBP' };
    const first = l.rows.filter((r) => !r.is_transfer && r.amount_minor !== 0n).map((r) => r.posted_on).sort()[0];
    await expect(svc.cashflow(actor, l.ledgerId, input)).rejects.toMatchObject({ code: 'FX_RATE_MISSING', details: { from_currency: expect.any(String), to_currency: 'GBP', date: first } });
    expect(() => new Brute(l, { ...input, now: NOW }).cashflow()).toThrow(/GBP/);
  });
});
