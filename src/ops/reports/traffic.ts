// Per-process traffic snapshots: each finhub process periodically stores what
// its own in-memory counters gained since its previous flush (requests, errors
// and latency buckets per route, failed logins, job outcomes). Reports sum the
// rows of all processes, so nothing is lost or counted twice when several
// servers share a PostgreSQL database.
import { hostname } from 'node:os';
import type { Container } from '../../app/container.ts';
import type { OpsTrafficRoute, OpsTrafficRoutes } from '../../db/schema-parts/ops.ts';

interface RouteTotals {
  method: string;
  route: string;
  count: number;
  server_errors: number;
  client_errors: number;
  /** Cumulative bucket counts by `le` (Infinity for +Inf). */
  cumulative: Map<number, number>;
}

export interface CounterState {
  routes: Map<string, RouteTotals>;
  failedLogins: number;
  jobs: { succeeded: number; failed: number; dead: number };
}

export const emptyState = (): CounterState => ({ routes: new Map(), failedLogins: 0, jobs: { succeeded: 0, failed: 0, dead: 0 } });

type Metrics = Container['metrics'];

/** Reads the cumulative counters of this process's registry. */
export async function readCounters(metrics: Metrics): Promise<CounterState> {
  const s = emptyState();
  const http = await metrics.httpDuration.get();
  for (const v of http.values) {
    const l = v.labels as Record<string, string | number | undefined>;
    const method = String(l.method ?? '');
    const route = String(l.route ?? '');
    const key = `${method} ${route}`;
    let r = s.routes.get(key);
    if (!r) s.routes.set(key, (r = { method, route, count: 0, server_errors: 0, client_errors: 0, cumulative: new Map() }));
    const name = (v as { metricName?: string }).metricName ?? '';
    if (name.endsWith('_bucket')) {
      const le = l.le === '+Inf' ? Infinity : Number(l.le);
      r.cumulative.set(le, (r.cumulative.get(le) ?? 0) + v.value);
    } else if (name.endsWith('_count')) {
      r.count += v.value;
      const status = String(l.status_code ?? '');
      if (status.startsWith('5')) r.server_errors += v.value;
      else if (status.startsWith('4')) r.client_errors += v.value;
    }
  }
  for (const v of (await metrics.authFailures.get()).values) if (v.labels.kind === 'password') s.failedLogins += v.value;
  for (const v of (await metrics.jobEvents.get()).values) {
    const o = v.labels.outcome;
    if (o === 'succeeded' || o === 'failed' || o === 'dead') s.jobs[o] += v.value;
  }
  return s;
}

export interface TrafficDelta {
  requests: number;
  server_errors: number;
  client_errors: number;
  failed_logins: number;
  jobs: { succeeded: number; failed: number; dead: number };
  routes: OpsTrafficRoutes;
}

const pos = (n: number) => Math.max(0, n);

/** What `cur` gained over `prev`, with non-cumulative latency buckets per route. */
export function diffCounters(prev: CounterState, cur: CounterState): TrafficDelta {
  const bounds = new Set<number>();
  for (const r of cur.routes.values()) for (const le of r.cumulative.keys()) if (Number.isFinite(le)) bounds.add(le);
  const le = [...bounds].sort((a, b) => a - b);
  const routes: OpsTrafficRoute[] = [];
  for (const [key, r] of cur.routes) {
    const p = prev.routes.get(key);
    const count = pos(r.count - (p?.count ?? 0));
    if (count === 0) continue;
    const cum = [...le, Infinity].map((b) => pos((r.cumulative.get(b) ?? 0) - (p?.cumulative.get(b) ?? 0)));
    routes.push({
      method: r.method,
      route: r.route,
      count,
      server_errors: pos(r.server_errors - (p?.server_errors ?? 0)),
      client_errors: pos(r.client_errors - (p?.client_errors ?? 0)),
      buckets: cum.map((v, i) => pos(v - (i === 0 ? 0 : cum[i - 1]!))),
    });
  }
  routes.sort((a, b) => b.count - a.count);
  const sum = (f: (r: OpsTrafficRoute) => number) => routes.reduce((a, r) => a + f(r), 0);
  return {
    requests: sum((r) => r.count),
    server_errors: sum((r) => r.server_errors),
    client_errors: sum((r) => r.client_errors),
    failed_logins: pos(cur.failedLogins - prev.failedLogins),
    jobs: {
      succeeded: pos(cur.jobs.succeeded - prev.jobs.succeeded),
      failed: pos(cur.jobs.failed - prev.jobs.failed),
      dead: pos(cur.jobs.dead - prev.jobs.dead),
    },
    routes: { le, routes },
  };
}

export const instanceId = (): string => `${hostname()}:${process.pid}`;

/** Flushes one container's counters into ops_snapshots_traffic; one per container. */
export class TrafficRecorder {
  #prev: CounterState = emptyState();
  #prevAt: Date;
  #pending: Promise<TrafficDelta | undefined> | undefined;

  constructor(
    private readonly c: Pick<Container, 'metrics' | 'db'>,
    startedAt: Date,
    readonly instance: string = instanceId(),
  ) {
    this.#prevAt = startedAt;
  }

  /** Stores the delta since the last flush (nothing when nothing happened); returns it. */
  flush(now: Date = new Date()): Promise<TrafficDelta | undefined> {
    this.#pending ??= this.#flush(now).finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #flush(now: Date): Promise<TrafficDelta | undefined> {
    const cur = await readCounters(this.c.metrics);
    const d = diffCounters(this.#prev, cur);
    const empty = d.requests === 0 && d.failed_logins === 0 && d.jobs.succeeded + d.jobs.failed + d.jobs.dead === 0;
    if (!empty) {
      await this.c.db.kysely
        .insertInto('ops_snapshots_traffic')
        .values({
          instance: this.instance,
          period_start: this.#prevAt,
          period_end: now,
          requests: d.requests,
          server_errors: d.server_errors,
          client_errors: d.client_errors,
          failed_logins: d.failed_logins,
          jobs_succeeded: d.jobs.succeeded,
          jobs_failed: d.jobs.failed,
          jobs_dead: d.jobs.dead,
          routes: JSON.stringify(d.routes),
        })
        .execute();
    }
    // Only after a successful insert: a failed flush is retried with the counts included.
    this.#prev = cur;
    this.#prevAt = now;
    return empty ? undefined : d;
  }
}

const recorders = new WeakMap<object, TrafficRecorder>();

/** The recorder of this container (created on first use; its first period starts at the container's start). */
export function trafficRecorder(c: Container): TrafficRecorder {
  let r = recorders.get(c);
  if (!r) recorders.set(c, (r = new TrafficRecorder(c, c.state.startedAt)));
  return r;
}

/** The recorder of this container if one was started (inside a running server). */
export function existingTrafficRecorder(c: Container): TrafficRecorder | undefined {
  return recorders.get(c);
}

/** Flushes every `intervalMs` and once more on stop; used by `finhub serve`. */
export function startTrafficRecording(c: Container, intervalMs = 300_000): () => Promise<void> {
  const r = trafficRecorder(c);
  const flush = () =>
    r.flush().catch((e: unknown) => {
      c.logger.warn({ err: e }, 'ops: storing the traffic snapshot failed; it is retried at the next flush');
      return undefined;
    });
  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await flush();
  };
}
