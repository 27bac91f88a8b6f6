// Evaluates the alerts of the SLO spec from successive snapshots of finhub's
// own metrics. Pure: the caller supplies the time and the series, so tests can
// drive it with any clock and any numbers.
//
// Windowed conditions (increase, rate_ratio, quantile, burn_rate) need the
// value a counter had `window` ago: each step keeps, per step time, only the
// sums those conditions read (a few numbers, not every series), for as long as
// the longest window. When the history is shorter than a window (just after
// start), the oldest kept snapshot stands in for the window's start.
//
// Each alert moves inactive -> pending -> firing -> clearing -> inactive: it
// fires after its condition has held for `for:`, and resolves only after the
// condition has stayed false for `resolveAfterSeconds` (hysteresis); a
// condition that comes back while clearing keeps the alert firing, so an
// oscillating signal raises one alert, not one per swing.
import type { Condition, LabelMatcher, Selector, SloAlert, SloSpec } from '../slo/spec.ts';
import { selectSeries, sumOf, type Series } from './series.ts';

export type AlertPhase = 'inactive' | 'pending' | 'firing' | 'clearing';

export interface AlertState {
  phase: AlertPhase;
  /** When the current phase began (ms). */
  since: number;
  /** Last evaluated value; undefined when there was no data. */
  value: number | undefined;
}

export interface AlertTransition {
  type: 'firing' | 'resolved';
  alert: SloAlert;
  /** The value that fired it, or the last value seen while it was firing. */
  value: number | undefined;
  at: number;
}

export interface EvaluatorOptions {
  /** How long a firing alert's condition must stay false before it resolves; default max(60 s, min(for, 10 min)). */
  resolveAfterSeconds?: (alert: SloAlert) => number;
  /** Alert kinds the process cannot judge about itself; default target_down (it is down, so it cannot tell). */
  skip?: (alert: SloAlert) => boolean;
}

const FINE_SPAN_MS = 2 * 3600_000;
const COARSE_GAP_MS = 5 * 60_000;

export const defaultResolveAfter = (a: SloAlert) => Math.max(60, Math.min(a.for.seconds, 600));

type Snapshot = { t: number; values: Map<string, number> };

const selKey = (s: Selector | { metric: string; labels: readonly LabelMatcher[] }) =>
  `${s.metric}{${[...s.labels].map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).sort().join(',')}}`;

const compare = (v: number, c: Condition) =>
  c.comparator === '>' ? v > c.threshold : c.comparator === '>=' ? v >= c.threshold : c.comparator === '<' ? v < c.threshold : v <= c.threshold;

/** histogram_quantile over cumulative bucket counts (Prometheus' interpolation). */
export function histogramQuantile(q: number, buckets: { le: number; count: number }[]): number | undefined {
  const b = [...buckets].sort((x, y) => x.le - y.le);
  const total = b[b.length - 1];
  if (!total || total.le !== Infinity || !(total.count > 0)) return undefined;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const rank = q * total.count;
  let i = b.findIndex((x) => x.count >= rank);
  if (i < 0) i = b.length - 1;
  if (i === b.length - 1) return b.length >= 2 ? b[b.length - 2]!.le : undefined;
  const upper = b[i]!.le;
  const lower = i === 0 ? (upper > 0 ? 0 : upper) : b[i - 1]!.le;
  const before = i === 0 ? 0 : b[i - 1]!.count;
  const inBucket = b[i]!.count - before;
  if (inBucket <= 0) return upper;
  return lower + (upper - lower) * ((rank - before) / inBucket);
}

export class AlertEvaluator {
  readonly spec: SloSpec;
  readonly alerts: readonly SloAlert[];
  readonly #resolveAfter: (a: SloAlert) => number;
  readonly #states = new Map<string, AlertState>();
  readonly #history: Snapshot[] = [];
  /** Longest window any condition reads, in ms. */
  readonly #horizon: number;
  #steps = 0;

  constructor(spec: SloSpec, opts: EvaluatorOptions = {}) {
    this.spec = spec;
    const skip = opts.skip ?? ((a: SloAlert) => a.condition.kind === 'target_down');
    this.alerts = spec.alerts.filter((a) => !skip(a));
    this.#resolveAfter = opts.resolveAfterSeconds ?? defaultResolveAfter;
    let h = 0;
    for (const a of this.alerts) {
      const c = a.condition;
      if (c.kind === 'increase' || c.kind === 'rate_ratio' || c.kind === 'quantile') h = Math.max(h, c.window.seconds);
      if (c.kind === 'burn_rate') h = Math.max(h, c.longWindow.seconds);
    }
    this.#horizon = h * 1000;
    for (const a of this.alerts) this.#states.set(a.key, { phase: 'inactive', since: 0, value: undefined });
  }

  state(key: string): AlertState | undefined {
    return this.#states.get(key);
  }

  firing(): SloAlert[] {
    return this.alerts.filter((a) => {
      const p = this.#states.get(a.key)!.phase;
      return p === 'firing' || p === 'clearing';
    });
  }

  /** Treats an alert as already firing (an incident of it is still open from before a restart). */
  assumeFiring(key: string, now: number): void {
    const s = this.#states.get(key);
    if (s && (s.phase === 'inactive' || s.phase === 'pending')) Object.assign(s, { phase: 'firing', since: now });
  }

  /** Records a snapshot taken at `now` (ms) and returns the alerts that fired or resolved. */
  step(now: number, series: readonly Series[]): AlertTransition[] {
    this.#record(now, series);
    const out: AlertTransition[] = [];
    for (const a of this.alerts) {
      const s = this.#states.get(a.key)!;
      const { value, holds } = this.#evaluate(a.condition, now, series);
      s.value = value;
      switch (s.phase) {
        case 'inactive':
          if (holds) Object.assign(s, { phase: 'pending', since: now });
          if (!holds) break;
        // falls through: a `for:` shorter than the step interval fires at once
        case 'pending':
          if (!holds) Object.assign(s, { phase: 'inactive', since: now });
          else if (now - s.since >= a.for.seconds * 1000) {
            Object.assign(s, { phase: 'firing', since: now });
            out.push({ type: 'firing', alert: a, value, at: now });
          }
          break;
        case 'firing':
          if (!holds) Object.assign(s, { phase: 'clearing', since: now });
          break;
        case 'clearing':
          if (holds) Object.assign(s, { phase: 'firing', since: now });
          else if (now - s.since >= this.#resolveAfter(a) * 1000) {
            Object.assign(s, { phase: 'inactive', since: now });
            out.push({ type: 'resolved', alert: a, value, at: now });
          }
          break;
      }
    }
    return out;
  }

  // ---- history of the sums windowed conditions read

  #windowedSums(series: readonly Series[]): Map<string, number> {
    const m = new Map<string, number>();
    const addSum = (s: Selector) => {
      const v = sumOf(series, s);
      if (v !== undefined) m.set(selKey(s), v);
    };
    for (const a of this.alerts) {
      const c = a.condition;
      if (c.kind === 'increase') addSum(c.selector);
      else if (c.kind === 'rate_ratio') {
        addSum(c.numerator);
        addSum(c.denominator);
      } else if (c.kind === 'burn_rate') {
        const slo = this.spec.slos.find((s) => s.name === c.slo);
        if (slo) {
          addSum(slo.sli.selector);
          addSum(slo.sli.total);
        }
      } else if (c.kind === 'quantile') {
        const base = { metric: `${c.histogram}_bucket`, labels: c.labels };
        const byLe = new Map<string, number>();
        for (const x of selectSeries(series, base)) {
          const le = x.labels.le;
          if (le !== undefined) byLe.set(le, (byLe.get(le) ?? 0) + x.value);
        }
        for (const [le, v] of byLe) m.set(`${selKey(base)}@${le}`, v);
      }
    }
    return m;
  }

  #record(now: number, series: readonly Series[]): void {
    const last = this.#history[this.#history.length - 1];
    if (last && now < last.t) throw new RangeError('AlertEvaluator.step: time went backwards');
    this.#history.push({ t: now, values: this.#windowedSums(series) });
    // Keep one snapshot at or before now - horizon, so the longest window always has a start.
    while (this.#history.length > 2 && this.#history[1]!.t <= now - this.#horizon) this.#history.shift();
    if (++this.#steps % 50 === 0) this.#thin(now);
  }

  /**
   * Snapshots older than FINE_SPAN_MS are only needed by long windows (6 h,
   * 3 d), for which one every COARSE_GAP_MS is precise enough: a 3-day window
   * then costs about a thousand snapshots instead of 8,640 at a 30 s interval.
   */
  #thin(now: number): void {
    const kept: Snapshot[] = [];
    let lastCoarse = -Infinity;
    for (const s of this.#history) {
      if (s.t >= now - FINE_SPAN_MS || s.t - lastCoarse >= COARSE_GAP_MS) {
        kept.push(s);
        if (s.t < now - FINE_SPAN_MS) lastCoarse = s.t;
      }
    }
    this.#history.splice(0, this.#history.length, ...kept);
  }

  /** Number of snapshots kept (for tests of the memory bound). */
  get historyLength(): number {
    return this.#history.length;
  }

  /** The snapshot standing for the start of a window ending now. */
  #base(now: number, windowMs: number): Snapshot | undefined {
    const start = now - windowMs;
    let base: Snapshot | undefined;
    for (const s of this.#history) {
      if (s.t <= start) base = s;
      else break;
    }
    return base ?? this.#history[0];
  }

  #increase(key: string, now: number, windowMs: number): number | undefined {
    const cur = this.#history[this.#history.length - 1]?.values.get(key);
    if (cur === undefined) return undefined;
    const base = this.#base(now, windowMs);
    // A series born inside the window counted from zero; a counter reset counts from zero too.
    const then = base?.values.get(key) ?? 0;
    return cur >= then ? cur - then : cur;
  }

  #ratio(num: Selector, den: Selector, now: number, windowMs: number, oneMinus = false): number | undefined {
    const d = this.#increase(selKey(den), now, windowMs);
    if (d === undefined || d <= 0) return undefined;
    const n = this.#increase(selKey(num), now, windowMs) ?? 0;
    return oneMinus ? 1 - n / d : n / d;
  }

  #evaluate(c: Condition, now: number, series: readonly Series[]): { value: number | undefined; holds: boolean } {
    const check = (v: number | undefined) => v !== undefined && Number.isFinite(v) && compare(v, c);
    if (c.kind === 'burn_rate') {
      const slo = this.spec.slos.find((s) => s.name === c.slo);
      if (!slo) return { value: undefined, holds: false };
      const ratio = (w: number) => this.#ratio(slo.sli.selector, slo.sli.total, now, w * 1000, slo.sli.kind === 'good');
      const long = ratio(c.longWindow.seconds);
      // Both windows must exceed the threshold; the long window's ratio is the alert's value.
      return { value: long, holds: check(long) && check(ratio(c.shortWindow.seconds)) };
    }
    const value = this.#value(c, now, series);
    return { value, holds: check(value) };
  }

  #value(c: Condition, now: number, series: readonly Series[]): number | undefined {
    switch (c.kind) {
      case 'gauge': {
        const hit = selectSeries(series, c.selector).map((x) => x.value);
        if (!hit.length) return undefined;
        return c.aggregate === 'sum' ? hit.reduce((a, b) => a + b, 0) : c.aggregate === 'min' ? Math.min(...hit) : Math.max(...hit);
      }
      case 'gauge_ratio': {
        const n = sumOf(series, c.numerator);
        const d = sumOf(series, c.denominator);
        if (n === undefined || d === undefined || d === 0) return undefined;
        return c.oneMinus ? 1 - n / d : n / d;
      }
      case 'age': {
        const hit = selectSeries(series, c.selector).map((x) => x.value);
        return hit.length ? now / 1000 - Math.max(...hit) : undefined;
      }
      case 'increase':
        return this.#increase(selKey(c.selector), now, c.window.seconds * 1000);
      case 'rate_ratio':
        return this.#ratio(c.numerator, c.denominator, now, c.window.seconds * 1000);
      case 'quantile': {
        const base = { metric: `${c.histogram}_bucket`, labels: c.labels };
        const prefix = `${selKey(base)}@`;
        const cur = this.#history[this.#history.length - 1]!;
        const buckets: { le: number; count: number }[] = [];
        for (const k of cur.values.keys()) {
          if (!k.startsWith(prefix)) continue;
          const le = k.slice(prefix.length);
          const inc = this.#increase(k, now, c.window.seconds * 1000);
          if (inc !== undefined) buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: inc });
        }
        return histogramQuantile(c.quantile, buckets);
      }
      case 'burn_rate':
      case 'target_down':
        return undefined;
    }
  }
}
