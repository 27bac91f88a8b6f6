// Detection of recurring series and the walk that turns payments into alerts,
// on hand-made histories (pure functions, no database).
import { describe, expect, it } from 'vitest';
import { nextOccurrence } from '../../src/recurring/cadence.ts';
import { detectSeries, type HistoryRow } from '../../src/recurring/detect.ts';
import { evaluateSchedule, type ScheduleState } from '../../src/recurring/evaluate.ts';
import { addDays } from '../../src/reports/periods.ts';
import { createPrng } from '../../src/demo/prng.ts';

let seq = 0;
const row = (payee: string, on: string, amount: number, account = 'acc-1', category: string | null = null): HistoryRow => ({
  id: `tx-${String(++seq).padStart(5, '0')}`, posted_on: on, amount: BigInt(amount), payee_id: `p-${payee}`, payee_name: payee, account_id: account, category_id: category,
});
const monthly = (payee: string, day: number, months: string[], amount: (i: number) => number) => months.map((m, i) => row(payee, `${m}-${String(day).padStart(2, '0')}`, amount(i)));
const M = ['2023-11', '2023-12', '2024-01', '2024-02', '2024-03', '2024-04', '2024-05'];

describe('detectSeries', () => {
  it('finds a monthly subscription among other payments to the same payee', () => {
    const rows = [
      ...monthly('Streamio', 5, M, () => -1599).map((r) => ({ ...r, category_id: 'fun' })),
      // One-off purchases at the same payee, far from the subscription's amount.
      row('Streamio', '2024-02-17', -4999), row('Streamio', '2024-04-02', -299),
    ];
    const p = detectSeries(rows, '2024-05-20');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ name: 'Streamio', cadence: 'monthly', expected_amount: -1599n, anchor_day: 5, next_expected_on: '2024-06-05', last_seen_on: '2024-05-05', occurrences: 7, category_id: 'fun', confidence_bp: 10_000 });
  });

  it('weekly, biweekly (a day of drift), quarterly and yearly', () => {
    const weekly = Array.from({ length: 8 }, (_, i) => row('Gym', addDays('2024-04-01', 7 * i), -1000));
    const biweekly = Array.from({ length: 6 }, (_, i) => row('Employer', addDays('2024-03-10', 14 * i + (i % 2)), 250_000));
    const quarterly = ['2023-08-15', '2023-11-15', '2024-02-15', '2024-05-15'].map((d) => row('Water', d, -6000));
    const yearly = ['2022-06-01', '2023-06-01'].map((d) => row('Insurance', d, -84_000));
    const p = detectSeries([...weekly, ...biweekly, ...quarterly, ...yearly], '2024-05-25');
    const by = Object.fromEntries(p.map((x) => [x.name, [x.cadence, x.next_expected_on]]));
    expect(by).toEqual({
      Gym: ['weekly', '2024-05-27'],
      Employer: ['biweekly', addDays(biweekly[5]!.posted_on, 14)],
      Water: ['quarterly', '2024-08-15'],
      Insurance: ['yearly', '2024-06-01'],
    });
  });

  it('amounts that vary within the tolerance are one series; the proposal keeps room for the spread seen', () => {
    const amounts = [-10_000, -10_400, -9_700, -10_900, -10_100, -9_900];
    const p = detectSeries(monthly('Power Co', 12, M.slice(1), (i) => amounts[i]!), '2024-05-20');
    expect(p).toHaveLength(1);
    // Median of the last six is -100.00 (the lower middle by size); the largest deviation, 9.00, is 9%: rounded up to 10%.
    expect(p[0]).toMatchObject({ expected_amount: -10_000n, tolerance_bp: 1000, occurrences: 6 });
  });

  it('keeps the anchor day through short months', () => {
    const rows = ['2024-01-31', '2024-02-29', '2024-03-31', '2024-04-30'].map((d) => row('Rent', d, -150_000));
    const p = detectSeries(rows, '2024-05-10');
    expect(p[0]).toMatchObject({ cadence: 'monthly', anchor_day: 31, next_expected_on: '2024-05-31' });
    expect(nextOccurrence('monthly', '2024-05-31', 31)).toBe('2024-06-30');
    expect(nextOccurrence('monthly', '2024-06-30', 31)).toBe('2024-07-31');
  });

  it('ignores irregular payments, series that stopped, and different accounts or directions', () => {
    const r = createPrng('irregular');
    const irregular = Array.from({ length: 12 }, () => row('Corner Shop', `2024-0${r.int(1, 5)}-${String(r.int(10, 28))}`, -r.int(500, 900)));
    const stopped = monthly('Old Gym', 3, ['2023-06', '2023-07', '2023-08', '2023-09'], () => -2000);
    const split = [row('Bank', '2024-03-01', -500, 'a1'), row('Bank', '2024-04-01', -500, 'a2'), row('Bank', '2024-05-01', 500, 'a1')];
    // Two similar purchases a year apart at a shop visited for other things too: a coincidence, not a yearly bill.
    const shop = [row('Bookshop', '2023-05-02', -2_000), row('Bookshop', '2024-05-01', -2_050), row('Bookshop', '2023-11-20', -7_500), row('Bookshop', '2024-02-11', -300)];
    expect(detectSeries([...irregular, ...stopped, ...split, ...shop], '2024-05-20').map((p) => p.name)).toEqual([]);
  });

  it('gives the same key to the same series every time', () => {
    const rows = monthly('Streamio', 5, M, () => -1599);
    const a = detectSeries(rows, '2024-05-20');
    const b = detectSeries([...rows].reverse(), '2024-05-21');
    expect(a[0]!.key).toMatch(/^[0-9a-f]{12}$/);
    expect(b[0]!.key).toBe(a[0]!.key);
  });
});

const schedule = (over: Partial<ScheduleState> = {}): ScheduleState => ({
  cadence: 'monthly', anchor_day: 5, expected_amount: -1599n, tolerance_bp: 1000, next_expected_on: '2024-06-05', last_seen_on: '2024-05-05', last_transaction_id: 'old', ...over,
});
const pay = (on: string, amount: number, id = `pay-${on}`) => ({ id, posted_on: on, amount: BigInt(amount) });

describe('evaluateSchedule', () => {
  it('a payment inside the window pays the occurrence and moves the schedule on', () => {
    const e = evaluateSchedule(schedule(), [pay('2024-05-05', -1599, 'old'), pay('2024-06-07', -1599)], '2024-06-20');
    expect(e).toEqual({ next_expected_on: '2024-07-05', last_seen_on: '2024-06-07', last_transaction_id: 'pay-2024-06-07', alerts: [], late: false });
  });

  it('nothing before the window opens; nothing while it is open', () => {
    expect(evaluateSchedule(schedule(), [], '2024-05-30')).toMatchObject({ next_expected_on: '2024-06-05', alerts: [], late: false });
    expect(evaluateSchedule(schedule(), [], '2024-06-10')).toMatchObject({ next_expected_on: '2024-06-05', alerts: [], late: false });
  });

  it('no payment once the window closed: a late alert, and the schedule waits', () => {
    const e = evaluateSchedule(schedule(), [], '2024-06-11');
    expect(e.alerts).toEqual([{ kind: 'late', expected_on: '2024-06-05', expected_amount: -1599n, actual_amount: null, transaction_id: null }]);
    expect(e).toMatchObject({ next_expected_on: '2024-06-05', late: true });
  });

  it('a late payment still pays the occurrence (the late alert stays)', () => {
    const e = evaluateSchedule(schedule(), [pay('2024-06-18', -1599)], '2024-06-20');
    expect(e.alerts.map((a) => a.kind)).toEqual(['late']);
    expect(e).toMatchObject({ next_expected_on: '2024-07-05', last_seen_on: '2024-06-18', late: false });
  });

  it('a payment beyond the tolerance is an amount alert', () => {
    const e = evaluateSchedule(schedule(), [pay('2024-06-05', -1999)], '2024-06-06');
    expect(e.alerts).toEqual([{ kind: 'amount', expected_on: '2024-06-05', expected_amount: -1599n, actual_amount: -1999n, transaction_id: 'pay-2024-06-05' }]);
    // Within the tolerance (+10%): no alert; smaller is never alarming.
    expect(evaluateSchedule(schedule(), [pay('2024-06-05', -1758)], '2024-06-06').alerts).toEqual([]);
    expect(evaluateSchedule(schedule(), [pay('2024-06-05', -100)], '2024-06-06').alerts).toEqual([]);
  });

  it('a missed month is passed once the next one has closed too; refunds do not pay bills', () => {
    const e = evaluateSchedule(schedule(), [pay('2024-06-06', 1599), pay('2024-07-05', -1599)], '2024-08-20');
    expect(e.alerts.map((a) => [a.kind, a.expected_on])).toEqual([['late', '2024-06-05'], ['late', '2024-08-05']]);
    expect(e).toMatchObject({ next_expected_on: '2024-08-05', last_seen_on: '2024-07-05', late: true });
  });
});
