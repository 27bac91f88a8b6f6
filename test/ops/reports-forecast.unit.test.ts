// Pure parts of the ops report: the trend line and forecast, histogram
// quantiles, and the aggregation of traffic snapshots.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitTrend, forecast, linearRegression, MONTH_DAYS } from '../../src/ops/reports/forecast.ts';
import { addBuckets, quantileFromBuckets } from '../../src/ops/reports/histogram.ts';
import { aggregateTraffic, isProbeRoute } from '../../src/ops/reports/ops-report.ts';
import { diffCounters, emptyState, type CounterState } from '../../src/ops/reports/traffic.ts';

const DAY = 86_400_000;
const at = (days: number) => new Date(Date.UTC(2026, 0, 1) + days * DAY);

describe('linear regression and forecast', () => {
  it('recovers an exact line and forecasts 6 and 12 months ahead from the newest point', () => {
    const series = [0, 10, 20, 30].map((d) => ({ at: at(d), value: 100 + 2 * d }));
    const fit = fitTrend(series)!;
    expect(fit.slopePerDay).toBeCloseTo(2, 10);
    expect(fit.atLast).toBeCloseTo(160, 10);
    expect(fit.r2).toBeCloseTo(1, 10);
    expect(fit.spanDays).toBe(30);
    expect(forecast(fit, 6)).toBeCloseTo(160 + 2 * 6 * MONTH_DAYS, 6);
    expect(forecast(fit, 12)).toBeCloseTo(160 + 2 * 12 * MONTH_DAYS, 6);
  });

  it('fits noisy data by least squares (checked against the closed form)', () => {
    const pts = [{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 2 }, { x: 3, y: 5 }];
    const r = linearRegression(pts)!;
    // slope = cov/var = (sum dx*dy)/(sum dx^2) with mean x 1.5, mean y 2.75
    expect(r.slope).toBeCloseTo(((-1.5) * (-1.75) + (-0.5) * 0.25 + 0.5 * (-0.75) + 1.5 * 2.25) / 5, 12);
    expect(r.intercept).toBeCloseTo(2.75 - r.slope * 1.5, 12);
    expect(r.r2).toBeGreaterThan(0);
    expect(r.r2).toBeLessThan(1);
  });

  it('has no trend without two distinct times, and never forecasts below zero', () => {
    expect(fitTrend([])).toBeUndefined();
    expect(fitTrend([{ at: at(0), value: 5 }])).toBeUndefined();
    expect(fitTrend([{ at: at(0), value: 5 }, { at: at(0), value: 7 }])).toBeUndefined();
    const shrinking = fitTrend([{ at: at(0), value: 100 }, { at: at(10), value: 10 }])!;
    expect(shrinking.slopePerDay).toBeCloseTo(-9, 10);
    expect(forecast(shrinking, 12)).toBe(0);
  });

  it('a flat series is a perfect fit with zero slope', () => {
    const fit = fitTrend([0, 5, 9].map((d) => ({ at: at(d), value: 42 })))!;
    expect(fit.slopePerDay).toBe(0);
    expect(fit.r2).toBe(1);
    expect(forecast(fit, 6)).toBe(42);
  });

  it('property: the fitted line passes through the means and points on a line are fitted exactly', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 3650 }), { minLength: 2, maxLength: 30 }).filter((xs) => new Set(xs).size > 1),
      fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 1_000_000 }),
      (days, slope, base) => {
        const fit = fitTrend(days.map((d) => ({ at: at(d), value: base + slope * d })))!;
        expect(fit.slopePerDay).toBeCloseTo(slope, 6);
        const first = Math.min(...days);
        const last = Math.max(...days);
        expect(fit.atLast).toBeCloseTo(base + slope * last, 3);
        expect(fit.spanDays).toBe(last - first);
      },
    ));
  });
});

describe('histogram quantile', () => {
  const le = [0.1, 0.5, 1];
  it('interpolates inside the bucket that holds the rank, like histogram_quantile', () => {
    // 100 observations: 50 <= 0.1 s, 40 in (0.1, 0.5], 10 in (0.5, 1]
    expect(quantileFromBuckets(0.5, le, [50, 40, 10, 0])).toBeCloseTo(0.1, 12);
    expect(quantileFromBuckets(0.95, le, [50, 40, 10, 0])).toBeCloseTo(0.5 + 0.5 * (95 - 90) / 10, 12);
    expect(quantileFromBuckets(0.25, le, [50, 40, 10, 0])).toBeCloseTo(0.05, 12);
  });
  it('answers the highest finite bound when the rank falls in +Inf, and nothing without observations', () => {
    expect(quantileFromBuckets(0.95, le, [1, 0, 0, 99])).toBe(1);
    expect(quantileFromBuckets(0.95, le, [0, 0, 0, 0])).toBeUndefined();
    expect(() => quantileFromBuckets(0.5, le, [1, 2])).toThrow(RangeError);
  });
  it('adds bucket arrays', () => {
    expect(addBuckets([], [1, 2])).toEqual([1, 2]);
    expect(addBuckets([1, 2], [3, 4])).toEqual([4, 6]);
  });
});

describe('traffic deltas and aggregation', () => {
  const state = (count: number, errors: number, buckets: [number, number][]): CounterState => ({
    routes: new Map([['GET /api/v1/ledgers', { method: 'GET', route: '/api/v1/ledgers', count, server_errors: errors, client_errors: 0, cumulative: new Map(buckets) }]]),
    failedLogins: 2,
    jobs: { succeeded: 1, failed: 0, dead: 0 },
  });

  it('turns cumulative counters into per-flush deltas with non-cumulative buckets', () => {
    const prev = state(10, 1, [[0.1, 8], [0.5, 10], [Infinity, 10]]);
    const cur = state(25, 3, [[0.1, 15], [0.5, 22], [Infinity, 25]]);
    const d = diffCounters(prev, cur);
    expect(d.requests).toBe(15);
    expect(d.server_errors).toBe(2);
    expect(d.failed_logins).toBe(0);
    expect(d.routes.le).toEqual([0.1, 0.5]);
    expect(d.routes.routes[0]).toMatchObject({ count: 15, buckets: [7, 5, 3] });
    expect(diffCounters(emptyState(), cur).failed_logins).toBe(2);
    // Nothing new: no routes at all.
    expect(diffCounters(cur, cur).routes.routes).toEqual([]);
  });

  it('sums rows of several processes, keeps probes apart and estimates p95 per route', () => {
    const row = (instance: string, count: number, errors: number, buckets: number[], route = '/api/v1/ledgers') => ({
      instance, requests: String(count), server_errors: String(errors), client_errors: '0', failed_logins: '1', jobs_succeeded: '2', jobs_failed: '0', jobs_dead: '1',
      routes: { le: [0.1, 0.5, 1], routes: [{ method: 'GET', route, count, server_errors: errors, client_errors: 0, buckets }] },
    });
    const agg = aggregateTraffic([
      row('a:1', 60, 1, [60, 0, 0, 0]),
      row('b:2', 40, 1, [0, 30, 10, 0]),
      row('a:1', 500, 0, [500, 0, 0, 0], '/metrics'),
    ]);
    expect(agg.requests).toBe(100);
    expect(agg.probeRequests).toBe(500);
    expect(agg.serverErrors).toBe(2);
    expect(agg.errorRate).toBeCloseTo(0.02, 12);
    expect(agg.failedLogins).toBe(3);
    expect(agg.jobs).toEqual({ succeeded: 6, failed: 0, dead: 3 });
    expect(agg.instances).toBe(2);
    expect(agg.routes).toHaveLength(1);
    // merged buckets [60, 30, 10, 0]: rank 95 lies in (0.5, 1]
    expect(agg.routes[0]!.p95Seconds).toBeCloseTo(0.5 + 0.5 * (95 - 90) / 10, 12);
    expect(isProbeRoute('/health/ready')).toBe(true);
    expect(isProbeRoute('/healthy')).toBe(false);
  });
});
