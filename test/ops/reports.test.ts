// Ops snapshots and `finhub report ops` on both engines: per-process traffic
// flushes, fleet snapshots, the report's sums, p95, incidents, maintenance and
// the growth forecast, through the CLI command.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/main.ts';
import { runMaintenance } from '../../src/ops/dbtools/maintenance.ts';
import { fitTrend, forecast, MONTH_DAYS } from '../../src/ops/reports/forecast.ts';
import { buildOpsReport } from '../../src/ops/reports/ops-report.ts';
import { renderMarkdown } from '../../src/ops/reports/render.ts';
import { takeSnapshot } from '../../src/ops/reports/snapshots.ts';
import { TrafficRecorder } from '../../src/ops/reports/traffic.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const DAY = 86_400_000;

async function cli(t: TestApp, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => t.c);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('traffic snapshots', () => {
  let t: TestApp;
  beforeAll(async () => { t = await createTestApp(); });
  afterAll(async () => t?.close());

  it('stores what this process counted since its previous flush, and nothing when nothing happened', async () => {
    const rec = new TrafficRecorder(t.c, new Date(Date.now() - 60_000), 'test-host:1');
    const u = await t.user();
    for (let i = 0; i < 3; i++) await t.req({ method: 'GET', url: '/api/v1/ledgers', token: u.token });
    await t.req({ method: 'GET', url: '/api/v1/ledgers' }); // 401
    await t.req({ method: 'POST', url: '/api/v1/auth/login', payload: { email: u.email, password: 'not the password' } });
    const d = (await rec.flush())!;
    expect(d.requests).toBe(5);
    expect(d.client_errors).toBe(2);
    expect(d.failed_logins).toBe(1);
    const ledgers = d.routes.routes.find((r) => r.route === '/api/v1/ledgers')!;
    expect(ledgers).toMatchObject({ method: 'GET', count: 4, client_errors: 1, server_errors: 0 });
    expect(ledgers.buckets.reduce((a, b) => a + b, 0)).toBe(4);
    expect(ledgers.buckets).toHaveLength(d.routes.le.length + 1);

    expect(await rec.flush()).toBeUndefined();
    await t.req({ method: 'GET', url: '/api/v1/ledgers', token: u.token });
    expect((await rec.flush())!.requests).toBe(1);

    const rows = await t.c.db.kysely.selectFrom('ops_snapshots_traffic').selectAll().where('instance', '=', 'test-host:1').orderBy('period_end').execute();
    expect(rows.map((r) => Number(r.requests))).toEqual([5, 1]);
    // Periods follow each other (the empty flush in between moved the start on).
    expect(rows[1]!.period_start.getTime()).toBeGreaterThanOrEqual(rows[0]!.period_end.getTime());
    expect(rows[0]!.routes.le.length).toBeGreaterThan(3);
  });

  it('records a fleet snapshot of counts, database size and the job queue', async () => {
    await t.user();
    const s = await takeSnapshot(t.c);
    const users = await t.c.db.kysely.selectFrom('users').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow();
    expect(Number(s.users)).toBe(Number(users.n));
    expect(Number(s.transactions)).toBe(0);
    expect(Number(s.database_size_bytes)).toBeGreaterThan(100_000);
    expect(Number(s.jobs_dead)).toBe(0);
  });

  it('POST /api/v1/ops/snapshots queues one snapshot job (repeated requests reuse it) for administrators', async () => {
    const admin = await t.user(undefined, { admin: true });
    const a = await t.req({ method: 'POST', url: '/api/v1/ops/snapshots', token: admin.token, headers: { 'x-request-id': 'snap-1' } });
    expect(a.status).toBe(202);
    expect(a.body.created).toBe(true);
    const b = await t.req({ method: 'POST', url: '/api/v1/ops/snapshots', token: admin.token });
    expect(b.body).toEqual({ job_id: a.body.job_id, created: false });
    const job = await t.c.db.kysely.selectFrom('jobs').select(['name', 'request_id']).where('id', '=', a.body.job_id).executeTakeFirstOrThrow();
    expect(job).toEqual({ name: 'ops.snapshot', request_id: 'snap-1' });
    expect((await t.req({ method: 'POST', url: '/api/v1/ops/snapshots', token: (await t.user()).token })).status).toBe(403);
  });
});

describe('finhub report ops', () => {
  let t: TestApp;
  const now = new Date();
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const day = (d: number, h: number) => new Date(midnight - d * DAY + h * 3600_000);
  beforeAll(async () => {
    t = await createTestApp();
    const k = t.c.db.kysely;
    // Snapshots on 60 past days, two a day (the last one of each day counts): users grow by one a day, transactions by 100.
    const snaps = [];
    for (let d = 60; d >= 1; d--) {
      for (const h of [2, 20]) {
        snaps.push({ taken_at: day(d, h), users: 100 - d + (h === 2 ? -1000 : 0), ledgers: 10, transactions: 10_000 - 100 * d, database_size_bytes: 50_000_000 - 100_000 * d, jobs_queued: 0, jobs_running: 0, jobs_dead: 0, jobs_oldest_queued_age_seconds: 0 });
      }
    }
    await k.insertInto('ops_snapshots').values(snaps).execute();
    const routes = (count: number, errors: number, buckets: number[], route = '/api/v1/ledgers/{ledgerId}/transactions') =>
      JSON.stringify({ le: [0.05, 0.1, 0.5, 1], routes: [{ method: 'GET', route, count, server_errors: errors, client_errors: 1, buckets }] });
    const traffic = (hoursAgo: number, instance: string, count: number, errors: number, buckets: number[], route?: string) => ({
      instance, period_start: new Date(now.getTime() - (hoursAgo + 0.1) * 3600_000), period_end: new Date(now.getTime() - hoursAgo * 3600_000),
      requests: count, server_errors: errors, client_errors: 1, failed_logins: 2, jobs_succeeded: 5, jobs_failed: 1, jobs_dead: 0, routes: routes(count, errors, buckets, route),
    });
    await k.insertInto('ops_snapshots_traffic').values([
      traffic(1, 'web-1:10', 100, 1, [50, 40, 10, 0, 0]),
      traffic(2, 'web-2:11', 100, 1, [50, 40, 0, 10, 0]),
      traffic(3, 'web-1:10', 1000, 0, [1000, 0, 0, 0, 0], '/metrics'),
      traffic(72, 'web-1:10', 300, 30, [0, 0, 300, 0, 0]), // three days ago: weekly only
    ]).execute();
    const u = await t.c.auth.createUser(null, { email: 'r@example.com', password: 'correct horse battery' });
    expect(u.id).toBeTypeOf('string');
    await t.c.incidents.open({ name: 'report-test', actor: null }, { title: 'API errors', severity: 'P2' });
    await runMaintenance(t.c, 'cli');
  });
  afterAll(async () => t?.close());

  it('sums traffic of every process in the period, apart from probes, with p95 per route', async () => {
    const daily = await buildOpsReport(t.c, 'daily', now);
    expect(daily.traffic).toMatchObject({ requests: 200, probeRequests: 1000, serverErrors: 2, clientErrors: 2, failedLogins: 6, snapshots: 3, instances: 2 });
    expect(daily.traffic.errorRate).toBeCloseTo(0.01, 12);
    const route = daily.traffic.routes[0]!;
    expect(route).toMatchObject({ method: 'GET', route: '/api/v1/ledgers/{ledgerId}/transactions', requests: 200, serverErrors: 2 });
    // merged buckets [100, 80, 10, 10, 0] over le [0.05, 0.1, 0.5, 1]: rank 190 is the last of (0.1, 0.5]
    expect(route.p95Seconds).toBeCloseTo(0.5, 12);
    expect(daily.jobs).toMatchObject({ succeeded: 15, failed: 3, dead: 0 });
    const weekly = await buildOpsReport(t.c, 'weekly', now);
    expect(weekly.traffic.requests).toBe(500);
    expect(weekly.traffic.serverErrors).toBe(32);
  });

  it('fits growth over the last snapshot of each day plus the live counts, and forecasts 6 and 12 months', async () => {
    const r = await buildOpsReport(t.c, 'monthly', now);
    expect(r.growth.points).toBe(61);
    expect(r.growth.spanDays).toBeCloseTo((now.getTime() - day(60, 20).getTime()) / DAY, 6);
    const live = { users: 1, ledgers: 0, transactions: 0 };
    for (const metric of ['users', 'ledgers', 'transactions'] as const) {
      // The report must fit exactly this series: the 20:00 snapshot of each day (not the 02:00 one), then now.
      const series = [...Array.from({ length: 60 }, (_, i) => 60 - i).map((d) => ({
        at: day(d, 20), value: { users: 100 - d, ledgers: 10, transactions: 10_000 - 100 * d }[metric],
      })), { at: now, value: live[metric] }];
      const fit = fitTrend(series)!;
      const g = r.growth.lines.find((x) => x.metric === metric)!;
      expect(g.current).toBe(live[metric]);
      expect(g.perMonth).toBeCloseTo(fit.slopePerDay * MONTH_DAYS, 6);
      expect(g.in6Months).toBeCloseTo(forecast(fit, 6), 6);
      expect(g.in12Months).toBeCloseTo(forecast(fit, 12), 6);
      expect(g.r2).toBeCloseTo(fit.r2, 9);
    }
    // The first snapshot inside the period (30 days back from now) is the starting point.
    const from = now.getTime() - 30 * DAY;
    const first = [30, 29].flatMap((d) => [2, 20].map((h) => ({ d, at: day(d, h).getTime() }))).find((x) => x.at >= from)!;
    const tx = r.growth.lines.find((g) => g.metric === 'transactions')!;
    expect(tx.atPeriodStart).toBe(10_000 - 100 * first.d);
    const size = r.growth.lines.find((g) => g.metric === 'database_size_bytes')!;
    expect(size.current).toBeGreaterThan(0);
    expect(size.perMonth).not.toBeNull();
  });

  it('includes incidents with MTTR, backups, maintenance runs and slow-query availability', async () => {
    const r = await buildOpsReport(t.c, 'daily');
    expect(r.incidents.available).toBe(true);
    if (r.incidents.available) expect(r.incidents.stats.total).toBe(1);
    expect(r.maintenance).toHaveLength(1);
    expect(r.maintenance[0]!.status).toBe('succeeded');
    expect(r.backups.count).toBe(0);
    expect(r.slowQueries.available).toBe(false);
    if (!r.slowQueries.available) expect(r.slowQueries.reason).toMatch(t.c.db.engine === 'pglite' ? /PGlite/ : /pg_stat_statements/);
    const md = renderMarkdown(r);
    for (const h of ['# finhub ops report (daily)', '## Traffic', '## Slowest queries', '## Jobs', '## Incidents', '## Backups', '## Database maintenance', '## Growth and forecast']) expect(md).toContain(h);
    expect(md).toContain('| GET /api/v1/ledgers/{ledgerId}/transactions | 200 | 2 | 1.00 % | 500 ms |');
    expect(md).toMatch(/Triggered in the period: 1/);
  });

  it('runs as `finhub report ops` with --period and --format, refusing bad values', async () => {
    const j = await cli(t, ['report', 'ops', '--period', 'weekly', '--format', 'json']);
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.out);
    expect(doc.period).toBe('weekly');
    expect(doc.traffic.requests).toBe(500);
    expect(doc.growth.lines).toHaveLength(4);
    const md = await cli(t, ['report', 'ops']);
    expect(md.code).toBe(0);
    expect(md.out).toMatch(/^# finhub ops report \(daily\)/);
    expect((await cli(t, ['report', 'ops', '--period', 'yearly'])).code).toBe(2);
    expect((await cli(t, ['report', 'ops', '--format', 'html'])).code).toBe(2);
  });
});
