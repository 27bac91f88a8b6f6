// `finhub report ops`: what happened over the last day, week or month, from
// the stored snapshots, plus growth trends with a 6- and 12-month forecast.
import type { Container } from '../../app/container.ts';
import { getBackupStatus, type BackupStatus } from '../../backup/status.ts';
import type { OpsTrafficRoutes } from '../../db/schema-parts/ops.ts';
import { slowQueries, type Availability, type SlowQuery } from '../dbtools/pg-stats.ts';
import { maintenanceHistory, type MaintenanceRun } from '../dbtools/maintenance.ts';
import { queueStats, type QueueStats } from '../health/queue-stats.ts';
import { databaseSizeBytes } from '../health/system.ts';
import { incidentStats, type IncidentStats } from '../incidents/incidents.stats.ts';
import { fitTrend, forecast, MONTH_DAYS } from './forecast.ts';
import { addBuckets, quantileFromBuckets } from './histogram.ts';
import { countRows, dailySnapshots } from './snapshots.ts';

export type Period = 'daily' | 'weekly' | 'monthly';
export const PERIOD_DAYS: Record<Period, number> = { daily: 1, weekly: 7, monthly: 30 };
/** How far back the growth trend looks. */
export const TREND_DAYS = 365;

const DAY_MS = 86_400_000;
/** Requests from probes and scrapers; counted apart so they do not dilute error rates. */
export const isProbeRoute = (route: string) => route === '/metrics' || route === '/health' || route.startsWith('/health/');

export interface RouteStats {
  method: string;
  route: string;
  requests: number;
  serverErrors: number;
  clientErrors: number;
  errorRate: number;
  p95Seconds: number | null;
}

export interface GrowthLine {
  metric: 'users' | 'ledgers' | 'transactions' | 'database_size_bytes';
  current: number | null;
  /** Value at the start of the report period (the snapshot closest after it). */
  atPeriodStart: number | null;
  perMonth: number | null;
  in6Months: number | null;
  in12Months: number | null;
  r2: number | null;
}

export interface OpsReport {
  period: Period;
  from: Date;
  to: Date;
  traffic: {
    requests: number;
    probeRequests: number;
    serverErrors: number;
    clientErrors: number;
    /** 5xx share of non-probe requests; null without requests. */
    errorRate: number | null;
    failedLogins: number;
    /** Flushes stored by all processes in the period and the processes that stored them. */
    snapshots: number;
    instances: number;
    routes: RouteStats[];
  };
  jobs: { succeeded: number; failed: number; dead: number; now: QueueStats | null };
  slowQueries: Availability<SlowQuery>;
  incidents: { available: true; stats: IncidentStats } | { available: false; reason: string };
  backups: BackupStatus;
  maintenance: MaintenanceRun[];
  growth: { points: number; spanDays: number; lines: GrowthLine[] };
}

interface TrafficRow {
  instance: string;
  requests: bigint | string;
  server_errors: bigint | string;
  client_errors: bigint | string;
  failed_logins: bigint | string;
  jobs_succeeded: bigint | string;
  jobs_failed: bigint | string;
  jobs_dead: bigint | string;
  routes: OpsTrafficRoutes | string;
}

export function aggregateTraffic(rows: TrafficRow[], routeLimit = 25): OpsReport['traffic'] & { jobs: { succeeded: number; failed: number; dead: number } } {
  const byRoute = new Map<string, { method: string; route: string; requests: number; serverErrors: number; clientErrors: number; le: number[] | undefined; buckets: number[]; mixed: boolean }>();
  const totals = { requests: 0, probeRequests: 0, serverErrors: 0, clientErrors: 0, failedLogins: 0 };
  const jobs = { succeeded: 0, failed: 0, dead: 0 };
  for (const r of rows) {
    totals.failedLogins += Number(r.failed_logins);
    jobs.succeeded += Number(r.jobs_succeeded);
    jobs.failed += Number(r.jobs_failed);
    jobs.dead += Number(r.jobs_dead);
    const routes: OpsTrafficRoutes = typeof r.routes === 'string' ? (JSON.parse(r.routes) as OpsTrafficRoutes) : r.routes;
    for (const x of routes.routes) {
      if (isProbeRoute(x.route)) {
        totals.probeRequests += x.count;
        continue;
      }
      totals.requests += x.count;
      totals.serverErrors += x.server_errors;
      totals.clientErrors += x.client_errors;
      const key = `${x.method} ${x.route}`;
      let a = byRoute.get(key);
      if (!a) byRoute.set(key, (a = { method: x.method, route: x.route, requests: 0, serverErrors: 0, clientErrors: 0, le: undefined, buckets: [], mixed: false }));
      a.requests += x.count;
      a.serverErrors += x.server_errors;
      a.clientErrors += x.client_errors;
      // Buckets can only be added up while their bounds are the same (they change only if the histogram is reconfigured).
      if (a.le === undefined) a.le = routes.le;
      if (a.le.join() !== routes.le.join()) a.mixed = true;
      else a.buckets = addBuckets(a.buckets, x.buckets);
    }
  }
  const routes: RouteStats[] = [...byRoute.values()]
    .sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route))
    .slice(0, routeLimit)
    .map((a) => ({
      method: a.method,
      route: a.route,
      requests: a.requests,
      serverErrors: a.serverErrors,
      clientErrors: a.clientErrors,
      errorRate: a.requests ? a.serverErrors / a.requests : 0,
      p95Seconds: a.mixed || !a.le ? null : (quantileFromBuckets(0.95, a.le, a.buckets) ?? null),
    }));
  return {
    ...totals,
    errorRate: totals.requests ? totals.serverErrors / totals.requests : null,
    snapshots: rows.length,
    instances: new Set(rows.map((r) => r.instance)).size,
    routes,
    jobs,
  };
}

async function incidentsFor(c: Container, from: Date, to: Date): Promise<OpsReport['incidents']> {
  try {
    return { available: true, stats: await incidentStats(c.db, { from, to }) };
  } catch (e) {
    return { available: false, reason: (e as Error).message };
  }
}

export async function buildOpsReport(c: Container, period: Period, now: Date = new Date()): Promise<OpsReport> {
  const k = c.db.kysely;
  const from = new Date(now.getTime() - PERIOD_DAYS[period] * DAY_MS);
  // A flush counts for the period it ended in.
  const trafficRows = await k.selectFrom('ops_snapshots_traffic').selectAll().where('period_end', '>', from).where('period_end', '<=', now).execute();
  const { jobs, ...traffic } = aggregateTraffic(trafficRows as unknown as TrafficRow[]);

  const [queueNow, slow, incidents, backups, maintenance, counts, size] = await Promise.all([
    queueStats(k).catch(() => null),
    slowQueries(c.db, 10),
    incidentsFor(c, from, now),
    getBackupStatus(c.db),
    maintenanceHistory(c, { since: from, limit: 50 }),
    countRows(k),
    databaseSizeBytes(c.db).catch(() => null),
  ]);

  const snaps = await dailySnapshots(k, new Date(now.getTime() - TREND_DAYS * DAY_MS), now);
  const startSnap = await k.selectFrom('ops_snapshots').selectAll().where('taken_at', '>=', from).orderBy('taken_at').limit(1).executeTakeFirst();
  const current = { users: counts.users, ledgers: counts.ledgers, transactions: counts.transactions, database_size_bytes: size };
  const lines: GrowthLine[] = (['users', 'ledgers', 'transactions', 'database_size_bytes'] as const).map((metric) => {
    const series = snaps
      .filter((s) => s[metric] !== null)
      .map((s) => ({ at: s.taken_at, value: Number(s[metric]) }));
    const now_ = current[metric];
    if (now_ !== null) series.push({ at: now, value: now_ });
    const fit = fitTrend(series);
    const start = startSnap?.[metric];
    return {
      metric,
      current: now_,
      atPeriodStart: start === undefined || start === null ? null : Number(start),
      perMonth: fit ? fit.slopePerDay * MONTH_DAYS : null,
      in6Months: fit ? forecast(fit, 6) : null,
      in12Months: fit ? forecast(fit, 12) : null,
      r2: fit ? fit.r2 : null,
    };
  });
  const times = snaps.map((s) => s.taken_at.getTime());
  return {
    period,
    from,
    to: now,
    traffic,
    jobs: { ...jobs, now: queueNow },
    slowQueries: slow,
    incidents,
    backups,
    maintenance,
    growth: { points: snaps.length + 1, spanDays: times.length ? (now.getTime() - Math.min(...times)) / DAY_MS : 0, lines },
  };
}
