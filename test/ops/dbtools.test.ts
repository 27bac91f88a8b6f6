// `finhub db …` on both engines: slow queries (pg_stat_statements or why not),
// index usage, long-running statements (listed and cancelled on PostgreSQL,
// "does not apply" embedded), VACUUM ANALYZE, and the weekly maintenance run
// with its recorded history, also as the scheduled job.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/main.ts';
import { enqueue } from '../../src/jobs/jobs.repository.ts';
import { BUILTIN_SCHEDULES, startJobs } from '../../src/jobs/jobs.runtime.ts';
import { waitFor } from '../../src/jobs/testing/wait.ts';
import { rotatedName } from '../../src/ops/logs/log-files.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { testEngine } from '../helpers/db.ts';

const DAY = 86_400_000;

async function cli(t: TestApp, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => t.c);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('finhub db procedures', () => {
  let t: TestApp;
  let logDir: string;
  beforeAll(async () => {
    logDir = mkdtempSync(join(tmpdir(), 'finhub-dbtools-'));
    t = await createTestApp({ FINHUB_LOG_FILE: join(logDir, 'finhub.log'), FINHUB_LOG_MAX_FILES: '2', FINHUB_JOBS_RETENTION_DAYS: '30' });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('slow-queries explains what is missing instead of failing', async () => {
    const r = await cli(t, ['db', 'slow-queries']);
    expect(r.code).toBe(0);
    if (testEngine === 'pglite') {
      expect(r.out).toMatch(/not available: the embedded database \(PGlite\) has no pg_stat_statements/);
      return;
    }
    expect(r.out).toMatch(/pg_stat_statements is not installed in this database/);
    expect(r.out).toContain("shared_preload_libraries = 'pg_stat_statements'");
    expect(r.out).toMatch(/statements running longer than 1 s right now \(pg_stat_activity\): \d+/);
    // Installed but not preloaded (this server's setup): the reason comes from PostgreSQL.
    await sql`create extension if not exists pg_stat_statements`.execute(t.c.db.kysely);
    const j = JSON.parse((await cli(t, ['db', 'slow-queries', '--json'])).out);
    if (j.available) expect(Array.isArray(j.rows)).toBe(true);
    else expect(j.reason).toMatch(/installed but cannot be read: .*shared_preload_libraries/);
    expect((await cli(t, ['db', 'slow-queries', '--limit', '0'])).code).toBe(2);
  });

  it('index-usage lists every index and flags unused ones, never those enforcing a key', async () => {
    const r = JSON.parse((await cli(t, ['db', 'index-usage', '--json'])).out);
    const names = r.indexes.map((i: { index: string }) => i.index);
    expect(names).toEqual(expect.arrayContaining(['jobs_due_idx', 'jobs_dedupe_key', 'users_email_key']));
    const unused = r.indexes.filter((i: { unused: boolean }) => i.unused);
    expect(unused.length).toBeGreaterThan(0);
    for (const i of unused) expect(i.enforcesConstraint).toBe(false);
    expect(r.indexes.find((i: { index: string }) => i.index === 'users_email_key').unused).toBe(false);
    const onlyUnused = await cli(t, ['db', 'index-usage', '--unused']);
    expect(onlyUnused.code).toBe(0);
    expect(onlyUnused.out).toMatch(/UNUSED: never scanned/);
    expect(onlyUnused.out).not.toMatch(/users_email_key/);
    expect(onlyUnused.out).toMatch(/\d+ unused index\(es\), .*; scan counts since /);
  });

  it('vacuum analyzes one table or all of them, and names the tables when one does not exist', async () => {
    const one = await cli(t, ['db', 'vacuum', '--table', 'jobs']);
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/^VACUUM \(ANALYZE\) of jobs done in [\d.]+ s$/);
    const all = await cli(t, ['db', 'vacuum']);
    expect(all.out).toMatch(/^VACUUM \(ANALYZE\) of all tables done/);
    const bad = await cli(t, ['db', 'vacuum', '--table', 'jobs; drop table users']);
    expect(bad.code).toBe(3);
    expect(bad.err).toMatch(/no table "jobs; drop table users".*tables: .*transactions/);
    if (testEngine === 'postgres') {
      // The statistics collector records the run (asynchronously).
      await waitFor('jobs to show as analyzed', async () => {
        const r = await sql<{ at: Date | null }>`select greatest(last_vacuum, last_analyze) as at from pg_stat_user_tables where relname = 'jobs'`.execute(t.c.db.kysely);
        return r.rows[0]?.at != null;
      }, { timeoutMs: 15_000, intervalMs: 200 });
    }
  });

  it.runIf(testEngine === 'pglite')('long-running does not apply to the single-connection embedded database', async () => {
    const r = await cli(t, ['db', 'long-running', '--cancel-older-than', '5m']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/does not apply: the embedded database \(PGlite\) runs one statement at a time/);
  });

  it.runIf(testEngine === 'postgres')('long-running lists a slow statement of another session and cancels it', async () => {
    const other = new pg.Client({ connectionString: t.tdb.url });
    await other.connect();
    try {
      const pid = (await other.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const sleeping = other.query('select pg_sleep(60)').then(() => 'finished', (e: { code?: string }) => e.code);
      const seen = await waitFor('the sleep to be listed', async () => {
        const j = JSON.parse((await cli(t, ['db', 'long-running', '--older-than', '1s', '--json'])).out);
        return j.rows.find((a: { pid: number }) => a.pid === pid);
      }, { timeoutMs: 20_000, intervalMs: 200 });
      expect(seen.query).toContain('pg_sleep');
      expect(seen.cancelled).toBeUndefined();
      const text = await cli(t, ['db', 'long-running', '--older-than', '1s', '--cancel-older-than', '1s']);
      expect(text.code).toBe(0);
      expect(text.out).toMatch(new RegExp(`pid ${pid} .*pg_sleep.*CANCELLED`));
      // The cancelled statement ends with 57014 (query_canceled).
      expect(await sleeping).toBe('57014');
      expect((await cli(t, ['db', 'long-running', '--older-than', '5m', '--cancel-older-than', '1m'])).code).toBe(2);
    } finally {
      await other.end();
    }
  });

  it('maintenance purges what is past retention, records every step, and shows in the history', async () => {
    const k = t.c.db.kysely;
    const u = await t.user();
    await k.insertInto('sessions').values([
      { user_id: u.id, token_hash: `expired-${Date.now()}`, expires_at: new Date(Date.now() - DAY), user_agent: null },
      { user_id: u.id, token_hash: `valid-${Date.now()}`, expires_at: new Date(Date.now() + DAY), user_agent: null },
    ]).execute();
    const old = (await enqueue(k, { name: 'old' })).job;
    const recent = (await enqueue(k, { name: 'recent' })).job;
    await k.updateTable('jobs').set({ state: 'succeeded', finished_at: new Date(Date.now() - 40 * DAY) }).where('id', '=', old.id).execute();
    await k.updateTable('jobs').set({ state: 'succeeded', finished_at: new Date(Date.now() - 2 * DAY) }).where('id', '=', recent.id).execute();
    const routes = JSON.stringify({ le: [], routes: [] });
    const traffic = (daysAgo: number) => ({ instance: 'x:1', period_start: new Date(Date.now() - daysAgo * DAY - 1000), period_end: new Date(Date.now() - daysAgo * DAY), requests: 1, server_errors: 0, client_errors: 0, failed_logins: 0, jobs_succeeded: 0, jobs_failed: 0, jobs_dead: 0, routes });
    await k.insertInto('ops_snapshots_traffic').values([traffic(401), traffic(10)]).execute();
    for (let h = 1; h <= 4; h++) writeFileSync(join(logDir, rotatedName('finhub.log', new Date(Date.UTC(2026, 10, 1, h)), 1)), 'x');

    const r = await cli(t, ['db', 'maintenance']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^maintenance run [0-9a-f-]{36}: succeeded/);
    for (const step of ['vacuum-analyze', 'purge-expired-sessions', 'purge-finished-jobs', 'purge-traffic-snapshots', 'log-cleanup']) expect(r.out).toMatch(new RegExp(`ok +${step}`));
    expect(r.out).toMatch(/1 expired session\(s\) deleted/);
    expect(r.out).toMatch(/1 finished job\(s\) older than 30 days deleted/);
    expect(r.out).toMatch(/1 traffic snapshot\(s\) older than 400 days deleted/);
    expect(r.out).toMatch(/2 rotated log file\(s\) beyond 2 removed, 2 kept/);
    expect(await k.selectFrom('sessions').select('token_hash').where('user_id', '=', u.id).execute()).toHaveLength(1);
    expect((await k.selectFrom('jobs').select('id').where('id', 'in', [old.id, recent.id]).execute()).map((j) => j.id)).toEqual([recent.id]);
    expect(readdirSync(logDir).sort()).toEqual([rotatedName('finhub.log', new Date(Date.UTC(2026, 10, 1, 3)), 1), rotatedName('finhub.log', new Date(Date.UTC(2026, 10, 1, 4)), 1)]);

    const h = await cli(t, ['db', 'maintenance-history']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z +cli +succeeded in [\d.]+ s/);
    expect(h.out).toMatch(/ok +purge-expired-sessions: 1 expired session\(s\) deleted/);
    const j = JSON.parse((await cli(t, ['db', 'maintenance-history', '--json', '--limit', '1'])).out);
    expect(j).toHaveLength(1);
    expect(j[0].steps).toHaveLength(5);
  });

  it('runs weekly as the ops.maintenance job, recorded with trigger "schedule"', async () => {
    expect(BUILTIN_SCHEDULES.find((s) => s.name === 'ops.maintenance')?.cron).toBe('43 4 * * 0');
    const w = await createTestApp({ FINHUB_JOBS_WORKER: 'true', FINHUB_JOBS_POLL_MS: '20', FINHUB_SCHEDULER: 'true', FINHUB_LOG_FILE: 'off' });
    const stop = await startJobs(w.c);
    try {
      // startJobs registered the schedules; run the job now instead of waiting for Sunday.
      const names = (await w.c.db.kysely.selectFrom('job_schedules').select('name').execute()).map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['ops.maintenance', 'ops.snapshot']));
      const { job } = await enqueue(w.c.db.kysely, { name: 'ops.maintenance' });
      await waitFor('the maintenance job', async () => (await w.c.db.kysely.selectFrom('jobs').select('state').where('id', '=', job.id).executeTakeFirst())?.state === 'succeeded', { timeoutMs: 60_000 });
      const runs = await w.c.db.kysely.selectFrom('maintenance_runs').selectAll().execute();
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ trigger: 'schedule', status: 'succeeded' });
      expect(runs[0]!.steps.find((s) => s.name === 'log-cleanup')?.detail).toBe('log file disabled (FINHUB_LOG_FILE=off)');
    } finally {
      await stop();
      await w.close();
    }
  });
});
