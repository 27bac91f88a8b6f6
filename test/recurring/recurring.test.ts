// Recurring bills on a real database: detection from the history, accepting
// proposals, the upcoming list, late and larger-than-usual alerts from the
// evaluation (service, API, the daily job and the CLI), and schedule CRUD with
// its validation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/auth/actor.ts';
import { runCommand } from '../../src/cli/main.ts';
import { builtinHandlers } from '../../src/jobs/jobs.runtime.ts';
import { createRecurringService } from '../../src/recurring/recurring.service.ts';
import { addDays, addMonths, monthOf, ymd } from '../../src/reports/periods.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let actor: Actor;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  const u = await t.user();
  token = u.token;
  actor = { userId: u.id, isAdmin: false, via: 'cli' };
});
afterAll(async () => t?.close());

async function household(name: string) {
  const c = t.c;
  const ledger = await c.ledgers.create(actor, { name, baseCurrency: 'USD' });
  const L = ledger.id;
  const checking = (await c.accounts.create(actor, L, { name: 'Checking', type: 'checking', currency: 'USD' })).id;
  const savings = (await c.accounts.create(actor, L, { name: 'Savings', type: 'savings', currency: 'USD' })).id;
  const g = await c.categories.createGroup(actor, L, { name: 'Bills' });
  const fun = (await c.categories.createCategory(actor, L, { name: 'Fun', groupId: g.id })).id;
  const tx = (postedOn: string, amountMinor: number, payeeName: string, extra: object = {}) => c.transactions.create(actor, L, { accountId: checking, postedOn, amountMinor, payeeName, ...extra });
  return { L, checking, savings, fun, tx };
}

describe('with a fixed today (the service)', () => {
  let h: Awaited<ReturnType<typeof household>>;
  let today = '2024-06-20';
  const svc = () => createRecurringService({ db: t.c.db, now: () => new Date(`${today}T09:00:00Z`) });

  beforeAll(async () => {
    h = await household('Bills fixed');
    for (const m of ['2024-01', '2024-02', '2024-03', '2024-04', '2024-05', '2024-06']) {
      await h.tx(`${m}-05`, -1599, 'Streamio', { categoryId: h.fun });
      await h.tx(`${m}-12`, m === '2024-03' ? -10_700 : -10_000, 'Power Co');
    }
    for (let d = '2024-04-01'; d <= '2024-06-17'; d = addDays(d, 7)) await h.tx(d, -1_000, 'Gym');
    // Noise: a one-off at the same payee, a transfer, a split with the payee (counted whole).
    await h.tx('2024-03-20', -7_500, 'Streamio');
    await t.c.transactions.create(actor, h.L, { accountId: h.checking, postedOn: '2024-05-01', amountMinor: -50_000, transferAccountId: h.savings });
    await h.tx('2024-02-25', -3_000, 'Market', { splits: [{ amountMinor: -2_000 }, { amountMinor: -1_000 }] });
  });

  it('detects the series and proposes schedules', async () => {
    const p = await svc().detect(actor, h.L);
    const by = Object.fromEntries(p.items.map((x) => [x.name, x]));
    expect(Object.keys(by).sort()).toEqual(['Gym', 'Power Co', 'Streamio']);
    expect(by.Streamio).toMatchObject({ cadence: 'monthly', expected_amount_minor: -1599, next_expected_on: '2024-07-05', category_name: 'Fun', account_name: 'Checking', currency: 'USD', occurrences: 6 });
    expect(by['Power Co']).toMatchObject({ cadence: 'monthly', expected_amount_minor: -10_000, next_expected_on: '2024-07-12' });
    expect(by.Gym).toMatchObject({ cadence: 'weekly', next_expected_on: '2024-06-24', occurrences: 12 });
  });

  it('accepts proposals by key; accepted series are no longer proposed; bad keys name the field', async () => {
    const p = await svc().detect(actor, h.L);
    const keys = p.items.filter((x) => x.name !== 'Gym').map((x) => x.key);
    const made = await svc().accept(actor, h.L, keys);
    expect(made.items.map((s) => [s.name, s.cadence, s.next_expected_on, s.last_seen_on]).sort()).toEqual([
      ['Power Co', 'monthly', '2024-07-12', '2024-06-12'],
      ['Streamio', 'monthly', '2024-07-05', '2024-06-05'],
    ]);
    expect((await svc().detect(actor, h.L)).items.map((x) => x.name)).toEqual(['Gym']);
    await expect(svc().accept(actor, h.L, ['nope'])).rejects.toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/body/keys/0' }] });
  });

  it('lists what is coming', async () => {
    const u = await svc().upcoming(actor, h.L, { days: 30 });
    expect(u.items.map((x) => [x.due_on, x.name, x.status])).toEqual([['2024-07-05', 'Streamio', 'upcoming'], ['2024-07-12', 'Power Co', 'upcoming']]);
    expect((await svc().upcoming(actor, h.L, { days: 60 })).items.map((x) => x.due_on)).toEqual(['2024-07-05', '2024-07-12', '2024-08-05', '2024-08-12']);
  });

  it('raises a late alert and an amount alert, once each', async () => {
    await h.tx('2024-07-11', -15_000, 'Power Co');
    today = '2024-07-20';
    const first = await svc().evaluate(actor, h.L);
    expect(first.created.map((a) => [a.schedule_name, a.kind, a.expected_on, a.actual_amount_minor]).sort()).toEqual([
      ['Power Co', 'amount', '2024-07-12', -15_000],
      ['Streamio', 'late', '2024-07-05', null],
    ]);
    expect(first.created.find((a) => a.kind === 'amount')!.message).toBe('Power Co: the payment for 2024-07-12 was -150.00 USD, 50% more than the usual -100.00 USD');
    expect((await svc().evaluate(actor, h.L)).created).toEqual([]);
    const list = await svc().list(actor, h.L);
    expect(list.items.map((s) => [s.name, s.next_expected_on, s.late])).toEqual([['Streamio', '2024-07-05', true], ['Power Co', '2024-08-12', false]]);
    const upcoming = await svc().upcoming(actor, h.L, { days: 10 });
    expect(upcoming.items.map((x) => [x.name, x.due_on, x.status])).toEqual([['Streamio', '2024-07-05', 'late']]);
  });

  it('the late bill is paid late: the schedule moves on, the alert stays until dismissed', async () => {
    await h.tx('2024-07-22', -1599, 'Streamio');
    today = '2024-07-23';
    expect((await svc().evaluate(actor, h.L)).created).toEqual([]);
    const s = (await svc().list(actor, h.L)).items.find((x) => x.name === 'Streamio')!;
    expect(s).toMatchObject({ next_expected_on: '2024-08-05', last_seen_on: '2024-07-22', late: false });
    const alerts = await svc().alerts(actor, h.L);
    expect(alerts.items).toHaveLength(2);
    const dismissed = await svc().dismissAlert(actor, h.L, alerts.items[0]!.id);
    expect(dismissed.dismissed_at).not.toBeNull();
    expect((await svc().alerts(actor, h.L)).items).toHaveLength(1);
    expect((await svc().alerts(actor, h.L, { includeDismissed: true })).items).toHaveLength(2);
  });

  it('the daily job evaluates every ledger with schedules', async () => {
    today = '2024-08-20';
    const r = await svc().evaluateAll();
    expect(r.ledgers).toBeGreaterThanOrEqual(1);
    // August: neither bill arrived.
    expect((await svc().alerts(actor, h.L)).items.filter((a) => a.expected_on.startsWith('2024-08')).map((a) => a.schedule_name).sort()).toEqual(['Power Co', 'Streamio']);
  });
});

describe('schedules by hand', () => {
  it('create, read, change, delete, with field-level errors', async () => {
    const h = await household('Bills manual');
    const s = t.c.recurring;
    const made = await s.create(actor, h.L, { payeeName: 'Landlord', expectedAmountMinor: -150_000, cadence: 'monthly', nextExpectedOn: '2030-01-31', accountId: h.checking });
    expect(made).toMatchObject({ name: 'Landlord', anchor_day: 31, tolerance_bp: 1000, active: true, currency: 'USD' });
    expect((await s.update(actor, h.L, made.id, { toleranceBp: 500, name: 'Rent' })).name).toBe('Rent');
    expect((await s.get(actor, h.L, made.id)).tolerance_bp).toBe(500);
    const bad: [object, string][] = [
      [{ payeeName: 'X', expectedAmountMinor: 0, cadence: 'monthly', nextExpectedOn: '2030-01-01' }, '/body/expected_amount_minor'],
      [{ payeeName: 'X', expectedAmountMinor: -1, cadence: 'fortnightly', nextExpectedOn: '2030-01-01' }, '/body/cadence'],
      [{ payeeName: 'X', expectedAmountMinor: -1, cadence: 'monthly', nextExpectedOn: '2030-02-30' }, '/body/next_expected_on'],
      [{ payeeName: 'X', expectedAmountMinor: -1, cadence: 'monthly', nextExpectedOn: '2030-01-01', categoryId: '00000000-0000-4000-8000-000000000000' }, '/body/category_id'],
      [{ payeeName: 'X', expectedAmountMinor: -1, cadence: 'monthly', nextExpectedOn: '2030-01-01', toleranceBp: -5 }, '/body/tolerance_bp'],
    ];
    for (const [input, field] of bad) await expect(s.create(actor, h.L, input), field).rejects.toMatchObject({ errors: [{ field }] });
    await s.remove(actor, h.L, made.id);
    await expect(s.get(actor, h.L, made.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('over HTTP, the job and the CLI, with the real today', () => {
  it('detect, accept, list, upcoming, evaluate, alerts', async () => {
    const h = await household('Bills live');
    const now = ymd(new Date());
    // Five monthly payments on the 10th, the last one last month; this month's is due on the 10th.
    for (let k = 5; k >= 1; k--) await h.tx(`${addMonths(monthOf(now), -k)}-10`, -4_200, 'Phone Co');
    const base = `/api/v1/ledgers/${h.L}`;
    const det = await t.req({ method: 'GET', url: `${base}/recurring/detect`, token });
    expect(det.status).toBe(200);
    expect(det.body.items.map((p: { name: string; cadence: string }) => [p.name, p.cadence])).toEqual([['Phone Co', 'monthly']]);
    const acc = await t.req({ method: 'POST', url: `${base}/recurring/accept`, token, payload: { keys: [det.body.items[0].key] } });
    expect(acc.status).toBe(201);
    const id = acc.body.items[0].id as string;
    expect((await t.req({ method: 'GET', url: `${base}/schedules`, token })).body.items.map((s: { id: string }) => s.id)).toEqual([id]);
    expect((await t.req({ method: 'GET', url: `${base}/schedules/${id}`, token })).body.next_expected_on).toBe(`${monthOf(now)}-10`);
    const up = await t.req({ method: 'GET', url: `${base}/recurring/upcoming?days=40`, token });
    expect(up.body.items[0]).toMatchObject({ name: 'Phone Co', due_on: `${monthOf(now)}-10`, expected_amount_minor: -4_200 });
    // Make the bill overdue: move its next date 40 days back, so its window has surely closed.
    const patched = await t.req({ method: 'PATCH', url: `${base}/schedules/${id}`, token, payload: { next_expected_on: addDays(now, -40), anchor_day: Number(addDays(now, -40).slice(8)) } });
    expect(patched.status).toBe(200);
    const ev = await t.req({ method: 'POST', url: `${base}/recurring/evaluate`, token });
    expect(ev.status).toBe(200);
    expect(ev.body.created.map((a: { kind: string }) => a.kind)).toContain('late');
    const alerts = await t.req({ method: 'GET', url: `${base}/recurring/alerts`, token });
    expect(alerts.body.items.length).toBe(ev.body.created.length);
    const dis = await t.req({ method: 'POST', url: `${base}/recurring/alerts/${alerts.body.items[0].id}/dismiss`, token });
    expect(dis.status).toBe(200);
    // The daily job handler runs the same evaluation (nothing new now).
    const job = (await builtinHandlers(t.c)['recurring.evaluate']!({}, {} as never)) as { ledgers: number; alerts: number };
    expect(job.ledgers).toBeGreaterThanOrEqual(1);
    expect((await t.req({ method: 'DELETE', url: `${base}/schedules/${id}`, token })).status).toBe(204);
    expect((await t.req({ method: 'GET', url: `${base}/recurring/alerts?include_dismissed=true`, token })).body.items).toEqual([]);
  });

  it('finhub bills detect | accept | list | upcoming | alerts', async () => {
    const h = await household('Bills cli');
    const now = ymd(new Date());
    for (let k = 6; k >= 1; k--) await h.tx(`${addMonths(monthOf(now), -k)}-03`, -2_500, 'Cloud Storage');
    const cli = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => t.c);
      return { code, out, err };
    };
    const det = await cli('bills', 'detect', '--ledger', 'Bills cli');
    expect(det.code).toBe(0);
    expect(det.out.join('\n')).toMatch(/Cloud Storage\s+monthly\s+-25\.00 USD/);
    const key = det.out[2]!.split(/\s+/)[0]!;
    const acc = await cli('bills', 'accept', '--ledger', 'Bills cli', key);
    expect(acc.out[0]).toMatch(/^scheduled Cloud Storage: monthly, -25\.00 USD, next \d{4}-\d{2}-03/);
    expect((await cli('bills', 'list', '--ledger', 'Bills cli')).out.join('\n')).toMatch(/Cloud Storage\s+monthly\s+-25\.00 USD/);
    expect((await cli('bills', 'upcoming', '--ledger', 'Bills cli', '--days', '40')).out.join('\n')).toMatch(/Cloud Storage\s+-25\.00 USD\s+Checking/);
    const al = await cli('bills', 'alerts', '--ledger', 'Bills cli', '--evaluate');
    expect(al.code).toBe(0);
    expect(al.out[0]).toMatch(/^evaluated: \d+ new alerts?$/);
    expect((await cli('bills', 'accept', '--ledger', 'Bills cli')).code).toBe(2);
  });
});
