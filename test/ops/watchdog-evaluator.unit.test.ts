// The watchdog's alert evaluator as pure logic: injected clock and series.
import { describe, expect, it } from 'vitest';
import { loadSloSpec, parseSloSpec } from '../../src/ops/slo/spec.ts';
import { AlertEvaluator, histogramQuantile, type AlertTransition } from '../../src/ops/watchdog/evaluator.ts';
import type { Series } from '../../src/ops/watchdog/series.ts';

const SPEC = parseSloSpec(`
version: 1
service: finhub
job: finhub
runbook_base: docs/runbook.md
sli_windows: [5m, 1h]
slos:
  - name: availability
    description: d
    objective: 0.99
    window: 30d
    total: req_total
    errors: { metric: req_total, labels: { code: { regex: "5.." } } }
    burn_rate_alerts:
      - { name: Burn, severity: critical, incident_severity: P1, factor: 10, long_window: 1h, short_window: 5m, for: 1m, summary: burn, description: "burn {{ $value | humanizePercentage }}", runbook: "#burn" }
alerts:
  - name: ErrorRatio
    severity: warning
    incident_severity: P2
    for: 2m
    summary: "errors {{ $value | humanizePercentage }}"
    description: d
    runbook: "#errorratio"
    condition: { kind: rate_ratio, numerator: { metric: req_total, labels: { code: { regex: "5.." } } }, denominator: req_total, window: 5m, comparator: ">", threshold: 0.05 }
  - { name: QueueDeep, severity: warning, incident_severity: P3, for: 1m, summary: s, description: d, runbook: "#q", condition: { kind: gauge, metric: queue_depth, comparator: ">", threshold: 10 } }
  - { name: Slow, severity: warning, incident_severity: P2, for: 1m, summary: s, description: d, runbook: "#s", condition: { kind: quantile, histogram: dur_seconds, quantile: 0.95, window: 5m, comparator: ">", threshold: 500ms } }
  - { name: BackupOld, severity: warning, incident_severity: P2, for: 1m, summary: s, description: d, runbook: "#b", condition: { kind: age, metric: backup_ts_seconds, comparator: ">", threshold: 1h } }
  - { name: Failures, severity: warning, incident_severity: P3, for: 1m, summary: s, description: d, runbook: "#f", condition: { kind: increase, metric: jobs_total, labels: { outcome: failed }, window: 15m, comparator: ">", threshold: 3 } }
  - { name: PoolHigh, severity: warning, incident_severity: P2, for: 1m, summary: s, description: d, runbook: "#p", condition: { kind: gauge_ratio, numerator: { metric: pool, labels: { state: in_use } }, denominator: { metric: pool, labels: { state: max } }, comparator: ">", threshold: 0.8 } }
  - { name: Down, severity: critical, incident_severity: P1, for: 1m, summary: s, description: d, runbook: "#d", condition: { kind: target_down } }
`);

const T0 = Date.UTC(2031, 0, 1);
const S = 1000;
const M = 60 * S;

/** A process's counters, advanced by hand. */
class Fake {
  ok = 0;
  err = 0;
  queue = 0;
  backupTs = T0 / 1000;
  failed = 0;
  inUse = 1;
  buckets: Record<string, number> = { '0.1': 0, '0.5': 0, '1': 0, '+Inf': 0 };
  observe(seconds: number, n = 1) {
    for (const le of Object.keys(this.buckets)) if (le === '+Inf' || seconds <= Number(le)) this.buckets[le]! += n;
  }
  series(): Series[] {
    return [
      { name: 'req_total', labels: { code: '200' }, value: this.ok },
      { name: 'req_total', labels: { code: '503' }, value: this.err },
      { name: 'queue_depth', labels: {}, value: this.queue },
      { name: 'backup_ts_seconds', labels: {}, value: this.backupTs },
      { name: 'jobs_total', labels: { outcome: 'failed' }, value: this.failed },
      { name: 'jobs_total', labels: { outcome: 'succeeded' }, value: 100 },
      { name: 'pool', labels: { state: 'in_use' }, value: this.inUse },
      { name: 'pool', labels: { state: 'max' }, value: 10 },
      ...Object.entries(this.buckets).map(([le, value]) => ({ name: 'dur_seconds_bucket', labels: { le, route: '/x' }, value })),
    ];
  }
}

function run(ev: AlertEvaluator, f: Fake, from: number, to: number, every: number, each?: (t: number) => void): AlertTransition[] {
  const out: AlertTransition[] = [];
  for (let t = from; t <= to; t += every) {
    each?.(t);
    out.push(...ev.step(t, f.series()));
  }
  return out;
}

const names = (trs: AlertTransition[]) => trs.map((x) => `${x.type}:${x.alert.name}@${(x.at - T0) / 1000}s`);

describe('AlertEvaluator', () => {
  it('leaves out alerts a process cannot judge about itself (target_down)', () => {
    expect(new AlertEvaluator(SPEC).alerts.map((a) => a.name)).not.toContain('Down');
  });

  it('fires a gauge alert only after its condition held for `for:`, once', () => {
    const f = new Fake();
    const ev = new AlertEvaluator(SPEC);
    const trs = run(ev, f, T0, T0 + 5 * M, 15 * S, (t) => (f.queue = t >= T0 + 30 * S ? 50 : 0));
    // Condition true from 30 s; for: 1m, so the first step at or after 90 s fires it.
    expect(names(trs)).toEqual(['firing:QueueDeep@90s']);
    expect(trs[0]!.value).toBe(50);
    expect(ev.state('QueueDeep:warning')!.phase).toBe('firing');
  });

  it('does not fire when the condition drops before `for:` has passed', () => {
    const f = new Fake();
    const ev = new AlertEvaluator(SPEC);
    // 45 s true, 15 s false, repeatedly: never a full minute in a row.
    const trs = run(ev, f, T0, T0 + 20 * M, 15 * S, (t) => (f.queue = ((t - T0) / S) % 60 < 45 ? 50 : 0));
    expect(trs).toEqual([]);
  });

  it('does not flap on an oscillating signal once firing, and resolves only after staying clear', () => {
    const f = new Fake();
    const resolveAfter = 120;
    const ev = new AlertEvaluator(SPEC, { resolveAfterSeconds: () => resolveAfter });
    const trs: AlertTransition[] = [];
    trs.push(...run(ev, f, T0, T0 + 2 * M, 30 * S, () => (f.queue = 50)));
    // Oscillate every step for 10 minutes: clear for at most 30 s at a time.
    let high = false;
    let lastHigh = 0;
    trs.push(...run(ev, f, T0 + 2 * M + 30 * S, T0 + 12 * M, 30 * S, (t) => {
      high = !high;
      f.queue = high ? 50 : 0;
      if (high) lastHigh = t;
    }));
    expect(names(trs)).toEqual(['firing:QueueDeep@60s']);
    // Recovered for good: resolved once the condition has been false for resolveAfter.
    trs.push(...run(ev, f, T0 + 12 * M + 30 * S, T0 + 20 * M, 30 * S, () => (f.queue = 0)));
    const resolved = trs.filter((x) => x.type === 'resolved');
    expect(resolved).toHaveLength(1);
    const clearSince = lastHigh + 30 * S;
    expect(resolved[0]!.at - clearSince).toBeGreaterThanOrEqual(resolveAfter * S);
    expect(resolved[0]!.at - clearSince).toBeLessThan(resolveAfter * S + 30 * S);
    expect(ev.state('QueueDeep:warning')!.phase).toBe('inactive');
  });

  it('computes a ratio of counter increases over its window only', () => {
    const f = new Fake();
    const ev = new AlertEvaluator(SPEC);
    // 10 minutes ago a burst of errors; since then 2% errors: below the 5% threshold.
    f.err = 500;
    f.ok = 500;
    ev.step(T0, f.series());
    const trs = run(ev, f, T0 + 30 * S, T0 + 10 * M, 30 * S, () => {
      f.ok += 98;
      f.err += 2;
    });
    expect(trs.filter((x) => x.alert.name === 'ErrorRatio')).toEqual([]);
    expect(ev.state('ErrorRatio:warning')!.value).toBeCloseTo(0.02, 6);
    // Now 10% errors: fires after for: 2m.
    const later = run(ev, f, T0 + 10 * M + 30 * S, T0 + 20 * M, 30 * S, () => {
      f.ok += 90;
      f.err += 10;
    });
    const fired = later.filter((x) => x.alert.name === 'ErrorRatio');
    expect(fired.map((x) => x.type)).toEqual(['firing']);
    expect(fired[0]!.value).toBeGreaterThan(0.05);
  });

  it('has no value (and no alert) while the denominator does not move', () => {
    const f = new Fake();
    f.err = 100;
    const ev = new AlertEvaluator(SPEC);
    run(ev, f, T0, T0 + 10 * M, 30 * S);
    expect(ev.state('ErrorRatio:warning')!.value).toBeUndefined();
    expect(ev.state('ErrorRatio:warning')!.phase).toBe('inactive');
  });

  it('estimates quantiles from bucket increases like histogram_quantile', () => {
    expect(histogramQuantile(0.5, [{ le: 0.1, count: 0 }, { le: 0.5, count: 100 }, { le: Infinity, count: 100 }])).toBeCloseTo(0.3, 10);
    expect(histogramQuantile(0.95, [{ le: 0.1, count: 90 }, { le: 0.5, count: 100 }, { le: Infinity, count: 100 }])).toBeCloseTo(0.3, 10);
    expect(histogramQuantile(0.99, [{ le: 0.1, count: 10 }, { le: 1, count: 10 }, { le: Infinity, count: 100 }])).toBe(1);
    expect(histogramQuantile(0.5, [{ le: 0.1, count: 0 }, { le: Infinity, count: 0 }])).toBeUndefined();
    const f = new Fake();
    const ev = new AlertEvaluator(SPEC);
    const trs = run(ev, f, T0, T0 + 5 * M, 30 * S, (t) => f.observe(t >= T0 + M ? 0.8 : 0.05, 20));
    // From 60 s half the window's requests take 0.8 s: p95 = 0.95 s > 0.5 s; for: 1m.
    expect(names(trs.filter((x) => x.alert.name === 'Slow'))).toEqual(['firing:Slow@120s']);
    expect(ev.state('Slow:warning')!.value).toBeGreaterThan(0.9);
  });

  it('measures ages from timestamp gauges', () => {
    const f = new Fake();
    const ev = new AlertEvaluator(SPEC);
    const trs = run(ev, f, T0, T0 + 63 * M, M);
    // backup_ts is T0: older than 1h from 61 min on (exclusive), fires a minute later.
    expect(names(trs.filter((x) => x.alert.name === 'BackupOld'))).toEqual([`firing:BackupOld@${62 * 60}s`]);
  });

  it('counts increases over the window and ratios of gauges', () => {
    const f = new Fake();
    const ev = new AlertEvaluator(SPEC);
    const trs = run(ev, f, T0, T0 + 30 * M, M, (t) => {
      if (t <= T0 + 5 * M) f.failed += 1; // 5 failures in the first 5 minutes
      f.inUse = t >= T0 + 20 * M ? 9 : 1;
    });
    const failures = trs.filter((x) => x.alert.name === 'Failures');
    // More than 3 within 15 minutes: fires at 4 min (increase 4 > 3 since 3 min) + for 1m; resolves once the burst leaves the window.
    expect(failures.map((x) => x.type)).toEqual(['firing', 'resolved']);
    expect(names(trs.filter((x) => x.alert.name === 'PoolHigh'))).toEqual(['firing:PoolHigh@1260s']);
  });

  it('fires a burn-rate alert only while both windows exceed the threshold', () => {
    const f = new Fake();
    const ev = new AlertEvaluator(SPEC);
    // An hour at 0% errors, then 30% errors for 3 minutes: the 5m window exceeds 10 × 1% but the 1h window does not.
    const calm = run(ev, f, T0, T0 + 60 * M, M, () => (f.ok += 1000));
    const spike = run(ev, f, T0 + 61 * M, T0 + 63 * M, M, () => {
      f.ok += 700;
      f.err += 300;
    });
    expect([...calm, ...spike].filter((x) => x.alert.name === 'Burn')).toEqual([]);
    // Sustained: the hour's ratio climbs past 10% too.
    const sustained = run(ev, f, T0 + 64 * M, T0 + 90 * M, M, () => {
      f.ok += 500;
      f.err += 500;
    });
    const burn = sustained.filter((x) => x.alert.name === 'Burn');
    expect(burn.map((x) => x.type)).toEqual(['firing']);
    expect(burn[0]!.value).toBeGreaterThan(0.1);
  });

  it('keeps a bounded history over long windows', () => {
    const spec = loadSloSpec(); // its longest window is 3 days
    const f = new Fake();
    const ev = new AlertEvaluator(spec);
    for (let t = T0; t <= T0 + 4 * 24 * 60 * M; t += 30 * S) ev.step(t, f.series());
    expect(ev.historyLength).toBeLessThan(1300);
    expect(() => ev.step(T0, f.series())).toThrow(/backwards/);
  });

  it('evaluates the real ops/slo.yaml: HighErrorRate (critical) fires after 2 minutes of 10% server errors', () => {
    const ev = new AlertEvaluator(loadSloSpec());
    expect(ev.alerts.some((a) => a.condition.kind === 'target_down')).toBe(false);
    let ok = 0;
    let bad = 0;
    const series = (): Series[] => [
      { name: 'finhub_http_request_duration_seconds_count', labels: { method: 'GET', route: '/api/v1/ledgers', status_code: '200' }, value: ok },
      { name: 'finhub_http_request_duration_seconds_count', labels: { method: 'GET', route: '/api/v1/ledgers', status_code: '500' }, value: bad },
    ];
    const out: AlertTransition[] = [];
    for (let t = T0; t <= T0 + 4 * M; t += 30 * S) {
      ok += 90;
      bad += 10;
      out.push(...ev.step(t, series()));
    }
    const hi = out.filter((x) => x.alert.name === 'HighErrorRate');
    // The first step only sets the baseline; from 30 s the ratio is 10%, and for: 2m later it fires (the warning needs 5m).
    expect(hi.map((x) => `${x.alert.severity}@${(x.at - T0) / 1000}s`)).toEqual(['critical@150s']);
  });
});
