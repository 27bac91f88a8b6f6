// Every finhub metric populated on a test app (requests, auth failures, a real
// worker finishing and dead-lettering jobs, a lagging queue), checked by value
// and by `promtool check metrics`.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/jobs/jobs.repository.ts';
import { startJobs } from '../../src/jobs/jobs.runtime.ts';
import { waitFor } from '../../src/jobs/testing/wait.ts';
import { memoryLimitBytes } from '../../src/ops/health/system.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

/** Value of one sample line, e.g. value(text, 'finhub_jobs_dead') or with labels. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ops metrics', () => {
  let t: TestApp;
  let stopJobs: () => Promise<void>;
  let text: string;

  beforeAll(async () => {
    t = await createTestApp({ FINHUB_JOBS_WORKER: 'true', FINHUB_JOBS_POLL_MS: '20', FINHUB_SCHEDULER: 'false' });
    const k = t.c.db.kysely;
    // HTTP traffic, a failed login and a bad token.
    await t.req({ method: 'GET', url: '/health/live' });
    await t.req({ method: 'GET', url: '/api/v1/ledgers', headers: { authorization: 'Bearer fh_pat_nope' } });
    await t.req({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'nobody@example.com', password: 'wrong password' } });
    // A job that succeeds, one whose name has no handler (dead after one attempt), one waiting on a queue no worker serves, one for later.
    const ok = (await enqueue(k, { name: 'ops.snapshot' })).job;
    const dead = (await enqueue(k, { name: 'no.such.handler', maxAttempts: 1 })).job;
    await enqueue(k, { name: 'waits', queue: 'unserved', runAt: new Date(Date.now() - 90_000) });
    await enqueue(k, { name: 'later', runAt: new Date(Date.now() + 3_600_000) });
    stopJobs = await startJobs(t.c);
    await waitFor('both jobs to finish', async () => {
      const rows = await k.selectFrom('jobs').select(['id', 'state']).where('id', 'in', [ok.id, dead.id]).execute();
      return rows.every((r) => r.state === 'succeeded' || r.state === 'dead');
    }, { timeoutMs: 30_000 });
    text = (await t.req({ method: 'GET', url: '/metrics' })).body as string;
  });
  afterAll(async () => {
    await stopJobs?.();
    await t?.close();
  });

  it('exposes the job queue gauges', () => {
    expect(value(text, 'finhub_jobs_queued{queue="default"}')).toBe(1);
    expect(value(text, 'finhub_jobs_queued{queue="unserved"}')).toBe(1);
    expect(value(text, 'finhub_jobs_running')).toBe(0);
    expect(value(text, 'finhub_jobs_dead')).toBe(1);
    expect(value(text, 'finhub_jobs_oldest_queued_age_seconds')).toBeGreaterThanOrEqual(89);
  });

  it('labels job outcomes and durations with the job type, bounded by the registered handlers', () => {
    expect(value(text, 'finhub_jobs_processed_total{outcome="succeeded",type="ops.snapshot"}')).toBe(1);
    expect(value(text, 'finhub_jobs_processed_total{outcome="dead",type="other"}')).toBe(1);
    expect(text).not.toContain('type="no.such.handler"');
    expect(value(text, 'finhub_job_duration_seconds_count{type="ops.snapshot"}')).toBe(1);
  });

  it('exposes disk, database size and memory limit gauges', () => {
    const free = value(text, 'finhub_data_dir_filesystem_free_bytes')!;
    const size = value(text, 'finhub_data_dir_filesystem_size_bytes')!;
    expect(free).toBeGreaterThan(0);
    expect(size).toBeGreaterThanOrEqual(free);
    expect(value(text, 'finhub_database_size_bytes')).toBeGreaterThan(100_000);
    expect(value(text, 'finhub_memory_limit_bytes')).toBe(memoryLimitBytes());
    expect(value(text, 'finhub_auth_failures_total{kind="password"}')).toBe(1);
    expect(value(text, 'finhub_auth_failures_total{kind="credential"}')).toBe(1);
  });

  it('memory limit: a cgroup limit wins over the host total; "max" means none', () => {
    expect(memoryLimitBytes(() => '1073741824\n')).toBe(1073741824);
    const host = memoryLimitBytes(() => { throw new Error('no cgroup'); });
    expect(memoryLimitBytes(() => 'max\n')).toBe(host);
    expect(memoryLimitBytes(() => String(host * 4))).toBe(host);
  });

  it('passes promtool check metrics with every metric populated', () => {
    // (finhub_db_query_duration_seconds is fed by the database handle createContainer opens; test databases are opened without it.)
    for (const name of ['finhub_http_request_duration_seconds_bucket', 'finhub_db_pool_connections', 'finhub_build_info', 'finhub_users', 'process_resident_memory_bytes']) {
      expect(text, name).toContain(name);
    }
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.error, 'promtool must be installed (Debian package prometheus)').toBeUndefined();
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
