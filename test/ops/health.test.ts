// Health endpoints on both engines: component endpoints, readiness with Redis,
// the operators' detailed view (auth, every component, production rules), and
// the thresholds taken from ops/slo.yaml.
import { createServer } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../src/db/migrations/index.ts';
import { backupCheckList, diskCheck } from '../../src/ops/health/checks.ts';
import { BUILT_IN_THRESHOLDS, healthThresholds, thresholdsFromSpec } from '../../src/ops/health/thresholds.ts';
import { loadSloSpec } from '../../src/ops/slo/spec.ts';
import { enqueue } from '../../src/jobs/jobs.repository.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const HEALTH_JSON = /^application\/health\+json/;

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('component health endpoints', () => {
  let t: TestApp;
  beforeAll(async () => { t = await createTestApp(); });
  afterAll(async () => t?.close());

  it('/health/db reports the round trip and pool usage', async () => {
    const r = await t.req({ method: 'GET', url: '/health/db' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(HEALTH_JSON);
    expect(r.body.status).toBe('pass');
    const rt = r.body.checks['database:responseTime'][0];
    expect(rt).toMatchObject({ status: 'pass', observedUnit: 'ms', componentType: 'datastore' });
    expect(rt.observedValue).toBeGreaterThan(0);
    const pool = r.body.checks['database:connections'][0];
    expect(pool.observedUnit).toBe('percent');
    expect(pool.output).toMatch(/of \d+ in use, \d+ waiting/);
  });

  it('/health/cache is the in-process cache when REDIS_URL is unset', async () => {
    const r = await t.req({ method: 'GET', url: '/health/cache' });
    expect(r.status).toBe(200);
    expect(r.body.checks['cache:responseTime'][0]).toMatchObject({ status: 'pass', output: 'in-process cache' });
    // Readiness does not mention a cache that is not configured.
    expect(Object.keys((await t.req({ method: 'GET', url: '/health/ready' })).body.checks)).toEqual(['database:responseTime']);
  });

  it('/health/queue shows depth, lag, dead letters and whether this process runs a worker', async () => {
    const empty = await t.req({ method: 'GET', url: '/health/queue' });
    expect(empty.status).toBe(200);
    expect(empty.body.status).toBe('pass');
    expect(empty.body.checks['jobs:queueDepth'][0].observedValue).toBe(0);
    expect(empty.body.checks['jobs:worker'][0].observedValue).toBe('disabled'); // test apps run FINHUB_JOBS_WORKER=false

    const k = t.c.db.kysely;
    await enqueue(k, { name: 'late', queue: 'mail', runAt: new Date(Date.now() - 20 * 60_000) });
    await enqueue(k, { name: 'later', runAt: new Date(Date.now() + 3600_000) });
    const { job } = await enqueue(k, { name: 'broken' });
    await k.updateTable('jobs').set({ state: 'dead', finished_at: new Date() }).where('id', '=', job.id).execute();

    const r = await t.req({ method: 'GET', url: '/health/queue' });
    expect(r.status).toBe(200); // soft problems are warn, not fail
    expect(r.body.status).toBe('warn');
    expect(r.body.checks['jobs:queueDepth'][0]).toMatchObject({ observedValue: 2, status: 'pass' });
    expect(r.body.checks['jobs:queueDepth'][0].output).toContain('mail: 1');
    const lag = r.body.checks['jobs:oldestQueuedAge'][0];
    expect(lag.status).toBe('warn');
    expect(lag.observedValue).toBeGreaterThanOrEqual(1199);
    expect(lag.output).toMatch(/warn above 10 min/);
    expect(r.body.checks['jobs:deadLetters'][0]).toMatchObject({ observedValue: 1, status: 'warn' });
    await k.deleteFrom('jobs').execute();
  });

  it('/api/health/detailed is for operators only and lists every component', async () => {
    expect((await t.req({ method: 'GET', url: '/api/health/detailed' })).status).toBe(401);
    const user = await t.user();
    expect((await t.req({ method: 'GET', url: '/api/health/detailed', token: user.token })).body.code).toBe('FORBIDDEN');
    const admin = await t.user(undefined, { admin: true });
    const r = await t.req({ method: 'GET', url: '/api/health/detailed', token: admin.token });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(HEALTH_JSON);
    const keys = Object.keys(r.body.checks);
    for (const k of [
      'database:responseTime', 'database:connections', 'database:size', 'database:migrationVersion', 'cache:responseTime',
      'jobs:responseTime', 'jobs:queueDepth', 'jobs:oldestQueuedAge', 'jobs:running', 'jobs:deadLetters', 'jobs:worker',
      'disk:utilization', 'backup:lastSuccessAge', 'backup:lastVerifiedAge', 'maintenance:state', 'process:uptime', 'process:memory',
    ]) expect(keys, k).toContain(k);
    expect(r.body.checks['database:migrationVersion'][0]).toMatchObject({ status: 'pass', observedValue: Object.keys(migrations).at(-1) });
    expect(r.body.checks['database:size'][0].observedValue).toBeGreaterThan(100_000);
    expect(r.body.checks['disk:utilization'][0].output).toMatch(/free of/);
    // No backup exists; outside production that is a warning.
    expect(r.body.checks['backup:lastVerifiedAge'][0]).toMatchObject({ status: 'warn' });
    expect(r.body.status).toBe('warn');
    expect(r.body.engine).toBe(t.c.db.engine);
    expect(r.body.releaseId).toMatch(/^\d+\.\d+\.\d+/);
    expect('commit' in r.body).toBe(true);
    expect(r.body.notes).toContain('thresholds: ops/slo.yaml');
    expect(r.body.checks['maintenance:state'][0]).toMatchObject({ status: 'pass', observedValue: 'off' });
  });

  it('shows maintenance mode as a warning with its message', async () => {
    await t.c.maintenance.set({ name: 'health-test', actor: null }, { message: 'database upgrade' });
    try {
      const admin = await t.user(undefined, { admin: true });
      const r = await t.req({ method: 'GET', url: '/api/health/detailed', token: admin.token });
      expect(r.body.checks['maintenance:state'][0]).toMatchObject({ status: 'warn', observedValue: 'on' });
      expect(r.body.checks['maintenance:state'][0].output).toContain('database upgrade');
    } finally {
      await t.c.maintenance.clear({ name: 'health-test', actor: null });
    }
  });
});

describe('Redis in readiness and /health/cache', () => {
  let up: TestApp;
  let down: TestApp;
  beforeAll(async () => {
    up = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:6379/0', FINHUB_READY_CACHE_MS: '0' });
    down = await createTestApp({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, FINHUB_READY_CACHE_MS: '0', FINHUB_READY_TIMEOUT_MS: '300' });
  });
  afterAll(async () => {
    await up?.close();
    await down?.close();
  });

  it('passes with a reachable Redis and includes it in readiness', async () => {
    const cache = await up.req({ method: 'GET', url: '/health/cache' });
    expect(cache.status).toBe(200);
    expect(cache.body.checks['cache:responseTime'][0]).toMatchObject({ status: 'pass', observedUnit: 'ms', output: 'redis' });
    const ready = await up.req({ method: 'GET', url: '/health/ready' });
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.body.checks).sort()).toEqual(['cache:responseTime', 'database:responseTime']);
  });

  it('fails readiness and /health/cache with 503 when the configured Redis is down', async () => {
    const cache = await down.req({ method: 'GET', url: '/health/cache' });
    expect(cache.status).toBe(503);
    expect(cache.body.checks['cache:responseTime'][0].status).toBe('fail');
    expect(cache.body.checks['cache:responseTime'][0].output).toMatch(/ECONNREFUSED/);
    const ready = await down.req({ method: 'GET', url: '/health/ready' });
    expect(ready.status).toBe(503);
    expect(ready.body.output).toBe('cache unavailable');
    expect(ready.body.checks['database:responseTime'][0].status).toBe('pass');
    // /health/db is unaffected.
    expect((await down.req({ method: 'GET', url: '/health/db' })).status).toBe(200);
  });
});

describe('production rules', () => {
  let t: TestApp;
  beforeAll(async () => { t = await createTestApp({ FINHUB_ENV: 'production' }); });
  afterAll(async () => t?.close());

  it('fails the detailed health with 503 while no backup exists', async () => {
    const admin = await t.user(undefined, { admin: true });
    const r = await t.req({ method: 'GET', url: '/api/health/detailed', token: admin.token });
    expect(r.status).toBe(503);
    expect(r.body.status).toBe('fail');
    expect(r.body.checks['backup:lastSuccessAge'][0]).toMatchObject({ status: 'fail' });
    expect(r.body.output).toContain('backup:lastSuccessAge');
    // Database errors would not be spelled out in production either; the database is fine here.
    expect(r.body.checks['database:responseTime'][0].status).toBe('pass');
    await sql`select 1`.execute(t.c.db.kysely);
  });
});

describe('thresholds', () => {
  const t = healthThresholds();
  it('come from ops/slo.yaml', () => {
    expect(t.source).toBe('ops/slo.yaml');
    expect(thresholdsFromSpec(loadSloSpec())).toEqual(t);
    expect(t).toMatchObject({ diskWarn: 0.8, diskFail: 0.95, poolWarn: 0.8, queueLagWarnSeconds: 600, backupSuccessWarnSeconds: 26 * 3600 });
  });

  it('disk: warn from 80 % used, fail from 95 %', () => {
    const d = (usedPercent: number) => diskCheck({ path: '/data', sizeBytes: 100 * 2 ** 30, freeBytes: (100 - usedPercent) * 2 ** 30, usedPercent }, t);
    expect(d(79.9).status).toBe('pass');
    expect(d(80).status).toBe('warn');
    expect(d(80).output).toMatch(/warn at 80%, fail at 95%/);
    expect(d(95).status).toBe('fail');
  });

  it('backups: warn when older than the spec allows, fail without any in production only', () => {
    const now = new Date('2026-11-24T12:00:00Z');
    const h = (hours: number) => new Date(now.getTime() - hours * 3600_000);
    const status = { lastSuccessAt: h(25), lastVerifiedAt: h(25.5), lastSizeBytes: 1, lastDrillAt: null, lastDrillSeconds: null, count: 3 };
    const fresh = backupCheckList(status, 'production', t, now);
    expect(fresh['backup:lastSuccessAge']![0]!.status).toBe('pass');
    expect(fresh['backup:lastVerifiedAge']![0]!.status).toBe('pass');
    const old = backupCheckList({ ...status, lastSuccessAt: h(27), lastVerifiedAt: h(27) }, 'production', t, now);
    expect(old['backup:lastSuccessAge']![0]).toMatchObject({ status: 'warn', observedValue: 27 * 3600 });
    expect(old['backup:lastSuccessAge']![0]!.output).toMatch(/warn above 26\.0 h/);
    // Verification runs daily: 26 h without one is a warning (issue 5, item 10).
    expect(old['backup:lastVerifiedAge']![0]).toMatchObject({ status: 'warn', observedValue: 27 * 3600 });
    expect(old['backup:lastVerifiedAge']![0]!.output).toMatch(/warn above 26\.0 h/);
    const none = { ...status, lastSuccessAt: null, lastVerifiedAt: null, count: 0 };
    expect(backupCheckList(none, 'production', t, now)['backup:lastVerifiedAge']![0]!.status).toBe('fail');
    expect(backupCheckList(none, 'development', t, now)['backup:lastVerifiedAge']![0]!.status).toBe('warn');
    expect(BUILT_IN_THRESHOLDS.source).toBe('built-in');
  });
});
