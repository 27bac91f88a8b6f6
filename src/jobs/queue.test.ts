import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { createTestDb, type TestDb } from '../../test/helpers/db.ts';
import type { Database, JobRow } from '../db/schema.ts';
import { AppError } from '../shared/app-error.ts';
import { nextAfter } from './cron.ts';
import {
  cancel, complete, enqueue, extendLease, fail, getJob, lease, LEASE_EXPIRED_ERROR, listJobs, purgeFinished,
  recoverExpired, retryDead, stats,
} from './jobs.repository.ts';
import { createJobsService } from './jobs.service.ts';
import { listSchedules, scheduleDedupeKey, Scheduler, tick, upsertSchedule } from './scheduler.ts';
import { deferred, sleep, waitFor } from './testing/wait.ts';
import { JobWorker, type JobEvent } from './worker.ts';

let t: TestDb;
let k: Kysely<Database>;

beforeAll(async () => {
  t = await createTestDb();
  k = t.db.kysely;
});
afterAll(async () => {
  await t?.cleanup();
});
beforeEach(async () => {
  await k.deleteFrom('jobs').execute();
  await k.deleteFrom('job_schedules').execute();
});

const W = { queues: ['default'], limit: 1, visibilityMs: 60_000 };
const leaseOne = async (workerId: string, opts: Partial<typeof W> = {}): Promise<JobRow | undefined> =>
  (await lease(k, { ...W, ...opts, workerId }))[0];
const dbNow = async (): Promise<Date> => (await sql<{ now: Date }>`select now() as now`.execute(k)).rows[0]!.now;
const jobCount = async (): Promise<number> => Number((await k.selectFrom('jobs').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow()).n);
const ms = (a: Date | null, b: Date | null) => a!.getTime() - b!.getTime();

async function expectAppError(p: Promise<unknown>, code: string): Promise<AppError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).code).toBe(code);
  return caught as AppError;
}

describe('enqueue, lease, complete', () => {
  it('enqueues with defaults and leases the job to one worker', async () => {
    const { job, created } = await enqueue(k, { name: 'email.send', payload: { to: 'a@example.com', n: 3 } });
    expect(created).toBe(true);
    expect(job).toMatchObject({ name: 'email.send', queue: 'default', state: 'queued', priority: 0, attempts: 0, max_attempts: 5, lease_owner: null });
    expect(job.payload).toEqual({ to: 'a@example.com', n: 3 });

    const before = await dbNow();
    const leased = await lease(k, { queues: ['default'], workerId: 'w1', limit: 10, visibilityMs: 30_000 });
    expect(leased).toHaveLength(1);
    const l = leased[0]!;
    expect(l).toMatchObject({ id: job.id, state: 'running', lease_owner: 'w1', attempts: 1 });
    expect(ms(l.lease_expires_at, before)).toBeGreaterThanOrEqual(30_000);
    expect(ms(l.lease_expires_at, l.updated_at)).toBe(30_000);

    expect(await lease(k, { queues: ['default'], workerId: 'w2', limit: 10, visibilityMs: 30_000 })).toEqual([]);

    const done = await complete(k, job.id, 'w1', { sent: true, big: 12345678901234567890n }, { attempt: 1 });
    expect(done).toMatchObject({ state: 'succeeded', lease_owner: null, lease_expires_at: null, attempts: 1 });
    expect(done!.result).toEqual({ sent: true, big: '12345678901234567890' });
    expect(done!.finished_at).toBeInstanceOf(Date);
    expect(await complete(k, job.id, 'w1', null)).toBeUndefined();
  });

  it('leases only due jobs of the requested queues, up to the limit', async () => {
    const now = await dbNow();
    // Distinct run_at values: PGlite's clock can give two quick inserts the same now(),
    // and equal run_at ties break on the (random) id.
    await enqueue(k, { name: 'a', queue: 'mail', runAt: new Date(now.getTime() - 3000) });
    await enqueue(k, { name: 'b', queue: 'reports', runAt: new Date(now.getTime() - 3000) });
    await enqueue(k, { name: 'c', queue: 'mail', runAt: new Date(now.getTime() + 3_600_000) });
    await enqueue(k, { name: 'd', queue: 'mail', runAt: new Date(now.getTime() - 2000) });
    await enqueue(k, { name: 'e', queue: 'mail', runAt: new Date(now.getTime() - 1000) });
    const first = await lease(k, { queues: ['mail'], workerId: 'w', limit: 2, visibilityMs: 1000 });
    expect(first.map((j) => j.name).sort()).toEqual(['a', 'd']);
    const second = await lease(k, { queues: ['mail'], workerId: 'w', limit: 5, visibilityMs: 1000 });
    expect(second.map((j) => j.name)).toEqual(['e']);
    const other = await lease(k, { queues: ['reports', 'mail'], workerId: 'w', limit: 5, visibilityMs: 1000 });
    expect(other.map((j) => j.name)).toEqual(['b']);
  });

  it('orders by priority desc, then run_at, then id', async () => {
    const now = await dbNow();
    const at = (s: number) => new Date(now.getTime() - 60_000 + s * 1000);
    await enqueue(k, { name: 'low-old', priority: 0, runAt: at(1) });
    await enqueue(k, { name: 'high-new', priority: 10, runAt: at(5) });
    await enqueue(k, { name: 'high-old', priority: 10, runAt: at(2) });
    await enqueue(k, { name: 'mid', priority: 5, runAt: at(3) });
    await enqueue(k, { name: 'low-new', priority: 0, runAt: at(4) });
    await enqueue(k, { name: 'negative', priority: -3, runAt: at(0) });
    const tie1 = (await enqueue(k, { name: 'tie', priority: -5, runAt: at(0) })).job.id;
    const tie2 = (await enqueue(k, { name: 'tie', priority: -5, runAt: at(0) })).job.id;
    const order: string[] = [];
    for (let j = await leaseOne('w'); j; j = await leaseOne('w')) order.push(j.name === 'tie' ? j.id : j.name);
    expect(order).toEqual(['high-old', 'high-new', 'mid', 'low-old', 'low-new', 'negative', ...[tie1, tie2].sort()]);

    // One batch comes back in the same order.
    await k.updateTable('jobs').set({ state: 'queued', lease_owner: null }).execute();
    const batch = await lease(k, { queues: ['default'], workerId: 'w', limit: 3, visibilityMs: 1000 });
    expect(batch.map((j) => j.name)).toEqual(['high-old', 'high-new', 'mid']);
  });

  it('hands each job to exactly one of several concurrent leasers', async () => {
    for (let i = 0; i < 30; i++) await enqueue(k, { name: `j${i}` });
    const batches = await Promise.all(
      Array.from({ length: 6 }, (_, i) => lease(k, { queues: ['default'], workerId: `w${i}`, limit: 4, visibilityMs: 60_000 })),
    );
    const ids = batches.flat().map((j) => j.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(24);
    const running = await k.selectFrom('jobs').select(['id', 'lease_owner']).where('state', '=', 'running').execute();
    expect(running).toHaveLength(24);
    const owner = new Map(batches.flatMap((b, i) => b.map((j) => [j.id, `w${i}`] as const)));
    for (const r of running) expect(r.lease_owner).toBe(owner.get(r.id));
  });
});

describe('retries', () => {
  it('requeues a failed attempt with capped exponential backoff, then dead-letters it', async () => {
    const { job } = await enqueue(k, { name: 'flaky', maxAttempts: 4 });
    // Jitter 0 halves the delay: attempt n waits min(cap, 40 * 2^(n-1)) * 0.5 ms.
    const opts = (attempt: number) => ({ attempt, backoff: { baseMs: 40, factor: 2, capMs: 100 }, random: () => 0 });
    const expectedDelay = [20, 40, 50];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const l = await waitFor(`attempt ${attempt} to be due`, () => leaseOne('w1'));
      expect(l.attempts).toBe(attempt);
      const before = await dbNow();
      const f = await fail(k, job.id, 'w1', new Error(`boom ${attempt}`), opts(attempt));
      expect(f).toMatchObject({ state: 'queued', attempts: attempt, lease_owner: null, lease_expires_at: null, finished_at: null });
      expect(f!.last_error).toContain(`boom ${attempt}`);
      expect(f!.run_at.getTime()).toBeGreaterThan(before.getTime());
      expect(ms(f!.run_at, f!.updated_at)).toBe(expectedDelay[attempt - 1]);
    }
    const last = await waitFor('attempt 4 to be due', () => leaseOne('w1'));
    expect(last.attempts).toBe(4);
    const runAtBefore = (await getJob(k, job.id))!.run_at;
    const dead = await fail(k, job.id, 'w1', new Error('boom 4'), opts(4));
    expect(dead).toMatchObject({ state: 'dead', attempts: 4, lease_owner: null });
    expect(dead!.finished_at).toBeInstanceOf(Date);
    expect(dead!.last_error).toContain('boom 4');
    expect(dead!.run_at.getTime()).toBe(runAtBefore.getTime());
    expect(await leaseOne('w1')).toBeUndefined();
  });

  it('does not lease a retry before its backoff ends; jitter keeps the delay within [base/2, base)', async () => {
    const { job } = await enqueue(k, { name: 'slow-retry' });
    await leaseOne('w1');
    const f = await fail(k, job.id, 'w1', 'plain string error', { backoff: { baseMs: 60_000 } });
    expect(f!.last_error).toBe('plain string error');
    const delay = ms(f!.run_at, f!.updated_at);
    expect(delay).toBeGreaterThanOrEqual(30_000);
    expect(delay).toBeLessThan(60_000);
    expect(await leaseOne('w2')).toBeUndefined();
  });

  it('retryDead requeues a dead letter with a fresh budget and keeps the error', async () => {
    const svc = createJobsService(t.db);
    const { job } = await enqueue(k, { name: 'doomed', maxAttempts: 1 });
    await leaseOne('w1');
    const dead = await fail(k, job.id, 'w1', new Error('fatal'));
    expect(dead!.state).toBe('dead');
    expect((await stats(k)).byState.dead).toBe(1);

    const again = await svc.retryDead(job.id);
    expect(again).toMatchObject({ id: job.id, state: 'queued', attempts: 0, finished_at: null });
    expect(again.last_error).toContain('fatal');
    const l = await leaseOne('w2');
    expect(l).toMatchObject({ id: job.id, attempts: 1 });
    expect(await complete(k, job.id, 'w2', 'ok')).toMatchObject({ state: 'succeeded', result: 'ok' });

    expect(await retryDead(k, job.id)).toBeUndefined();
    await expectAppError(svc.retryDead(job.id), 'CONFLICT');
    await expectAppError(svc.retryDead('6f1c1f1e-7b43-4b7a-9a53-2f4c6f0a0b11'), 'NOT_FOUND');
    await expectAppError(svc.retryDead('not-a-uuid'), 'NOT_FOUND');
  });

  it('retryDead refuses when a live job already holds the dedupe key', async () => {
    const svc = createJobsService(t.db);
    const { job } = await enqueue(k, { name: 'sync', dedupeKey: 'sync:1', maxAttempts: 1 });
    await leaseOne('w1');
    await fail(k, job.id, 'w1', new Error('x'));
    const fresh = await enqueue(k, { name: 'sync', dedupeKey: 'sync:1' });
    expect(fresh.created).toBe(true);
    expect(await retryDead(k, job.id)).toBeUndefined();
    const err = await expectAppError(svc.retryDead(job.id), 'CONFLICT');
    expect(err.message).toMatch(/dedupe key/);
    expect((await getJob(k, job.id))!.state).toBe('dead');
  });
});

describe('dedupe key', () => {
  it('returns the live job instead of inserting, and frees the key once it finishes', async () => {
    const a = await enqueue(k, { name: 'recalc', dedupeKey: 'ledger:1', payload: { v: 1 } });
    const b = await enqueue(k, { name: 'recalc', dedupeKey: 'ledger:1', payload: { v: 2 } });
    expect(a.created).toBe(true);
    expect(b).toMatchObject({ created: false });
    expect(b.job.id).toBe(a.job.id);
    expect(b.job.payload).toEqual({ v: 1 });
    const other = await enqueue(k, { name: 'recalc', dedupeKey: 'ledger:2' });
    expect(other.job.id).not.toBe(a.job.id);
    const noKey = [await enqueue(k, { name: 'recalc' }), await enqueue(k, { name: 'recalc' })];
    expect(noKey[0]!.job.id).not.toBe(noKey[1]!.job.id);

    // Still held while running.
    const l = await lease(k, { queues: ['default'], workerId: 'w', limit: 10, visibilityMs: 60_000 });
    expect(l.map((j) => j.id)).toContain(a.job.id);
    expect((await enqueue(k, { name: 'recalc', dedupeKey: 'ledger:1' })).job.id).toBe(a.job.id);
    await complete(k, a.job.id, 'w', null);
    const c = await enqueue(k, { name: 'recalc', dedupeKey: 'ledger:1' });
    expect(c.created).toBe(true);
    expect(c.job.id).not.toBe(a.job.id);
    expect(await jobCount()).toBe(5);
  });

  it('inserts one job when many enqueue the same key at once', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => enqueue(k, { name: 'once', dedupeKey: 'same', payload: { i } })));
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await jobCount()).toBe(1);
  });
});

describe('visibility timeout', () => {
  it('recovers a job whose worker vanished; the old worker can no longer complete it', async () => {
    const { job } = await enqueue(k, { name: 'import' });
    const crashed = await leaseOne('crashed', { visibilityMs: 100 });
    expect(crashed!.attempts).toBe(1);
    // Not yet expired: a generous lease is untouched by recovery.
    const { job: other } = await enqueue(k, { name: 'other' });
    await leaseOne('healthy', { visibilityMs: 60_000 });

    const recovered = await waitFor('the short lease to expire', async () => {
      const r = await recoverExpired(k);
      return r.length > 0 ? r : undefined;
    });
    expect(recovered.map((j) => j.id)).toEqual([job.id]);
    expect(recovered[0]).toMatchObject({ state: 'queued', lease_owner: null, lease_expires_at: null, last_error: LEASE_EXPIRED_ERROR, attempts: 1 });
    expect((await getJob(k, other.id))!.state).toBe('running');

    const taken = await leaseOne('rescuer');
    expect(taken).toMatchObject({ id: job.id, attempts: 2, lease_owner: 'rescuer' });
    expect(await complete(k, job.id, 'crashed', { by: 'crashed' })).toBeUndefined();
    expect(await fail(k, job.id, 'crashed', new Error('late'))).toBeUndefined();
    expect(await extendLease(k, job.id, 'crashed', 60_000)).toBe(false);
    expect(await complete(k, job.id, 'rescuer', { by: 'rescuer' }, { attempt: 2 })).toMatchObject({ state: 'succeeded', result: { by: 'rescuer' } });
    expect(await complete(k, job.id, 'crashed', { by: 'crashed' })).toBeUndefined();
    expect((await getJob(k, job.id))!.result).toEqual({ by: 'rescuer' });
  });

  it('rejects a stale attempt even when the same worker leased the job again', async () => {
    const { job } = await enqueue(k, { name: 'again' });
    await leaseOne('w', { visibilityMs: 50 });
    await waitFor('expiry', async () => (await recoverExpired(k)).length > 0);
    const second = await leaseOne('w');
    expect(second!.attempts).toBe(2);
    expect(await complete(k, job.id, 'w', 'from attempt 1', { attempt: 1 })).toBeUndefined();
    expect(await extendLease(k, job.id, 'w', 1000, { attempt: 1 })).toBe(false);
    expect(await complete(k, job.id, 'w', 'from attempt 2', { attempt: 2 })).toMatchObject({ result: 'from attempt 2' });
  });

  it('dead-letters an expired job that has no attempts left', async () => {
    const { job } = await enqueue(k, { name: 'last-chance', maxAttempts: 1 });
    await leaseOne('w', { visibilityMs: 50 });
    const r = await waitFor('expiry', async () => {
      const x = await recoverExpired(k);
      return x.length > 0 ? x : undefined;
    });
    expect(r[0]).toMatchObject({ id: job.id, state: 'dead', last_error: LEASE_EXPIRED_ERROR });
    expect(r[0]!.finished_at).toBeInstanceOf(Date);
  });

  it('extendLease keeps a long job from being recovered', async () => {
    const { job } = await enqueue(k, { name: 'long' });
    const l = await leaseOne('w', { visibilityMs: 150 });
    expect(await extendLease(k, job.id, 'w', 60_000, { attempt: 1 })).toBe(true);
    expect(await extendLease(k, job.id, 'intruder', 60_000)).toBe(false);
    const after = (await getJob(k, job.id))!;
    expect(ms(after.lease_expires_at, l!.lease_expires_at)).toBeGreaterThan(50_000);
    await sleep(300);
    expect(await recoverExpired(k)).toEqual([]);
    expect(await complete(k, job.id, 'w', 'done', { attempt: 1 })).toMatchObject({ state: 'succeeded' });
  });
});

describe('cancel, stats, listing, purge', () => {
  it('cancels queued and running jobs; a cancelled running job cannot be completed', async () => {
    const svc = createJobsService(t.db);
    const { job: q } = await enqueue(k, { name: 'q', runAt: new Date(Date.now() + 3_600_000) });
    const { job: r } = await enqueue(k, { name: 'r' });
    await leaseOne('w');
    expect(await svc.cancel(q.id)).toMatchObject({ state: 'cancelled' });
    expect(await cancel(k, r.id)).toMatchObject({ state: 'cancelled', lease_owner: null });
    expect(await extendLease(k, r.id, 'w', 1000)).toBe(false);
    expect(await complete(k, r.id, 'w', 'x')).toBeUndefined();
    const err = await expectAppError(svc.cancel(r.id), 'CONFLICT');
    expect(err.message).toBe('job is already cancelled');
    await expectAppError(svc.cancel('00000000-0000-4000-8000-000000000000'), 'NOT_FOUND');
  });

  it('counts jobs per state and queue and reports the oldest due queued job age', async () => {
    const now = await dbNow();
    await enqueue(k, { name: 'a', runAt: new Date(now.getTime() - 120_000) });
    await enqueue(k, { name: 'b', queue: 'mail', runAt: new Date(now.getTime() - 10_000) });
    await enqueue(k, { name: 'future', queue: 'mail', runAt: new Date(now.getTime() + 3_600_000) });
    const { job: c } = await enqueue(k, { name: 'c', queue: 'mail', priority: 9 });
    await leaseOne('w', { queues: ['mail'] });
    await complete(k, c.id, 'w', null);
    const s = await stats(k);
    expect(s.byState).toEqual({ queued: 3, running: 0, succeeded: 1, dead: 0, cancelled: 0 });
    expect(s.byQueue).toEqual({
      default: { queued: 1, running: 0, succeeded: 0, dead: 0, cancelled: 0 },
      mail: { queued: 2, running: 0, succeeded: 1, dead: 0, cancelled: 0 },
    });
    expect(s.total).toBe(4);
    expect(s.oldestQueuedAgeSeconds).toBeGreaterThanOrEqual(120);
    expect(s.oldestQueuedAgeSeconds).toBeLessThan(180);
    await k.deleteFrom('jobs').execute();
    expect((await stats(k)).oldestQueuedAgeSeconds).toBe(0);
  });

  it('pages newest first with an opaque cursor, exact to the microsecond', async () => {
    // Same millisecond, different microseconds, plus a batch sharing one created_at.
    const times = ['2026-01-01T00:00:00.123456Z', '2026-01-01T00:00:00.123457Z', '2026-01-01T00:00:00.123999Z', '2026-01-02T00:00:00Z'];
    for (const [i, ts] of times.entries()) {
      await k.insertInto('jobs').values({ name: `t${i}`, payload: '{}', created_at: ts, state: i === 1 ? 'dead' : 'queued' }).execute();
    }
    await k.transaction().execute(async (tx) => {
      for (let i = 0; i < 5; i++) await tx.insertInto('jobs').values({ name: `same${i}`, payload: '{}' }).execute();
    });
    const expected = await k.selectFrom('jobs').select('id').orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    expect(expected).toHaveLength(9);

    for (const size of [1, 2, 4]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await listJobs(k, { limit: size, cursor });
        seen.push(...page.items.map((j) => j.id));
        cursor = page.nextCursor;
        if (cursor) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        pages++;
      } while (cursor && pages < 20);
      expect(seen).toEqual(expected.map((e) => e.id));
      expect(pages).toBe(Math.ceil(9 / size));
    }
    const dead = await listJobs(k, { state: 'dead' });
    expect(dead.items.map((j) => j.name)).toEqual(['t1']);
    expect(dead.nextCursor).toBeNull();
    expect(Object.keys(dead.items[0]!)).not.toContain('cursor_ts');

    await expectAppError(listJobs(k, { cursor: 'garbage' }), 'VALIDATION_FAILED');
    await expectAppError(listJobs(k, { cursor: Buffer.from('{"t":"x","i":"y"}').toString('base64url') }), 'VALIDATION_FAILED');
  });

  it('purges finished jobs older than the cut-off only', async () => {
    const old = new Date('2020-01-01T00:00:00Z');
    const mk = async (name: string, state: JobRow['state'], finished: Date | null) =>
      (await k.insertInto('jobs').values({ name, payload: '{}', state, finished_at: finished }).returning('id').executeTakeFirstOrThrow()).id;
    await mk('old-ok', 'succeeded', old);
    await mk('old-cancelled', 'cancelled', old);
    const oldDead = await mk('old-dead', 'dead', old);
    const recent = await mk('recent-ok', 'succeeded', new Date());
    const queued = await mk('queued', 'queued', null);
    expect(await purgeFinished(k, new Date('2021-01-01T00:00:00Z'), { states: ['succeeded', 'cancelled'] })).toBe(2);
    expect(await purgeFinished(k, new Date('2021-01-01T00:00:00Z'))).toBe(1);
    const left = (await k.selectFrom('jobs').select('id').execute()).map((r) => r.id).sort();
    expect(left).toEqual([recent, queued].sort());
    expect(left).not.toContain(oldDead);
  });
});

describe('scheduler', () => {
  const T0 = new Date('2026-03-10T10:02:30Z');

  it('upsert computes next_run_at; same cron keeps it, a new cron recomputes it', async () => {
    const s = await upsertSchedule(k, { name: 'digest', cron: '*/15 * * * *', jobName: 'digest.send', payload: { kind: 'daily' } }, T0);
    expect(s).toMatchObject({ name: 'digest', job_name: 'digest.send', queue: 'default', enabled: true, last_enqueued_at: null });
    expect(s.next_run_at.toISOString()).toBe('2026-03-10T10:15:00.000Z');
    const same = await upsertSchedule(k, { name: 'digest', cron: '*/15 * * * *', jobName: 'digest.send', queue: 'mail' }, new Date('2026-03-10T11:00:00Z'));
    expect(same.next_run_at.toISOString()).toBe('2026-03-10T10:15:00.000Z');
    expect(same.queue).toBe('mail');
    expect(same.payload).toEqual({});
    const changed = await upsertSchedule(k, { name: 'digest', cron: '0 6 * * *', jobName: 'digest.send' }, T0);
    expect(changed.next_run_at.toISOString()).toBe('2026-03-11T06:00:00.000Z');
    expect((await listSchedules(k)).map((x) => x.name)).toEqual(['digest']);
    await expectAppError(createJobsService(t.db).upsertSchedule({ name: 'bad', cron: '* * * * MONDAY', jobName: 'x' }), 'VALIDATION_FAILED');
  });

  it('enqueues one job per due slot and advances past now', async () => {
    await upsertSchedule(k, { name: 'tick5', cron: '*/5 * * * *', jobName: 'report', payload: { a: 1 }, queue: 'reports' }, T0);
    expect((await tick(k, new Date('2026-03-10T10:04:59Z'))).enqueued).toEqual([]);
    const at = new Date('2026-03-10T10:05:10Z');
    const r = await tick(k, at);
    expect(r.enqueued).toHaveLength(1);
    expect(r.enqueued[0]).toMatchObject({ schedule: 'tick5', created: true });
    expect(r.enqueued[0]!.slot.toISOString()).toBe('2026-03-10T10:05:00.000Z');
    const job = (await getJob(k, r.enqueued[0]!.jobId))!;
    expect(job).toMatchObject({ name: 'report', queue: 'reports', payload: { a: 1 }, dedupe_key: 'schedule:tick5:2026-03-10T10:05:00.000Z' });
    const s = (await listSchedules(k))[0]!;
    expect(s.next_run_at.toISOString()).toBe('2026-03-10T10:10:00.000Z');
    expect(s.last_enqueued_at!.toISOString()).toBe(at.toISOString());
    expect((await tick(k, at)).enqueued).toEqual([]);
    expect(await jobCount()).toBe(1);
  });

  it('enqueues a slot once when several tickers run at the same time', async () => {
    await upsertSchedule(k, { name: 'a', cron: '* * * * *', jobName: 'ja' }, T0);
    await upsertSchedule(k, { name: 'b', cron: '@hourly', jobName: 'jb' }, T0);
    const at = new Date('2026-03-10T11:00:30Z');
    const results = await Promise.all(Array.from({ length: 5 }, () => tick(k, at)));
    const created = results.flatMap((r) => r.enqueued.filter((e) => e.created).map((e) => e.schedule)).sort();
    expect(created).toEqual(['a', 'b']);
    const jobs = await k.selectFrom('jobs').select(['name', 'dedupe_key']).orderBy('name').execute();
    expect(jobs).toEqual([
      { name: 'ja', dedupe_key: 'schedule:a:2026-03-10T10:03:00.000Z' },
      { name: 'jb', dedupe_key: 'schedule:b:2026-03-10T11:00:00.000Z' },
    ]);
  });

  it('coalesces slots missed while nothing ticked into one run', async () => {
    await upsertSchedule(k, { name: 'every-min', cron: '* * * * *', jobName: 'j' }, T0);
    const later = new Date('2026-03-10T13:30:45Z');
    const r = await tick(k, later);
    expect(r.enqueued).toHaveLength(1);
    expect(await jobCount()).toBe(1);
    expect((await listSchedules(k))[0]!.next_run_at.toISOString()).toBe(nextAfter('* * * * *', later).toISOString());
    expect((await listSchedules(k))[0]!.next_run_at.toISOString()).toBe('2026-03-10T13:31:00.000Z');
  });

  it('does not enqueue a slot twice while its job is live, even if the schedule row is stale', async () => {
    await upsertSchedule(k, { name: 's', cron: '0 * * * *', jobName: 'j' }, T0);
    const at = new Date('2026-03-10T11:00:05Z');
    const first = await tick(k, at);
    // Simulate a ticker that read the row before it was advanced.
    await k.updateTable('job_schedules').set({ next_run_at: new Date('2026-03-10T11:00:00Z') }).execute();
    const second = await tick(k, at);
    expect(second.enqueued).toEqual([{ schedule: 's', jobId: first.enqueued[0]!.jobId, slot: new Date('2026-03-10T11:00:00Z'), created: false }]);
    expect(await jobCount()).toBe(1);
    expect(scheduleDedupeKey('s', new Date('2026-03-10T11:00:00Z'))).toBe('schedule:s:2026-03-10T11:00:00.000Z');
  });

  it('skips disabled schedules and reports invalid stored crons without blocking others', async () => {
    await upsertSchedule(k, { name: 'off', cron: '* * * * *', jobName: 'j', enabled: false }, T0);
    await upsertSchedule(k, { name: 'ok', cron: '* * * * *', jobName: 'j' }, T0);
    await k.insertInto('job_schedules').values({ name: 'broken', cron: 'not a cron', job_name: 'j', payload: '{}', next_run_at: T0 }).execute();
    const r = await tick(k, new Date('2026-03-10T10:10:00Z'));
    expect(r.enqueued.map((e) => e.schedule)).toEqual(['ok']);
    expect(r.errors.map((e) => e.schedule)).toEqual(['broken']);
    expect(r.errors[0]!.error).toMatch(/expected 5 fields/);
    // Re-enabling starts from the next slot after the upsert, not from the stale one.
    const on = await upsertSchedule(k, { name: 'off', cron: '* * * * *', jobName: 'j', enabled: true }, new Date('2026-03-10T12:00:00Z'));
    expect(on.next_run_at.toISOString()).toBe('2026-03-10T12:01:00.000Z');
  });

  it('Scheduler runs ticks on its interval until stopped', async () => {
    await upsertSchedule(k, { name: 'loop', cron: '*/10 * * * *', jobName: 'j' }, T0);
    let ticks = 0;
    const scheduler = new Scheduler({ db: t.db, intervalMs: 5, now: () => new Date('2026-03-10T10:10:01Z'), onTick: () => ticks++ });
    scheduler.start();
    try {
      await waitFor('three ticks', () => ticks >= 3);
    } finally {
      await scheduler.stop();
    }
    const after = ticks;
    expect(await jobCount()).toBe(1);
    await sleep(30);
    expect(ticks).toBe(after);
    expect(scheduler.running).toBe(false);
  });
});

describe('JobWorker', () => {
  const quiet = { info: () => {}, warn: () => {}, error: () => {} };

  it('runs jobs up to its concurrency, reports events and drains on stop', async () => {
    const events: JobEvent[] = [];
    let running = 0;
    let maxRunning = 0;
    const seen: Array<{ id: string; n: unknown; attempt: number }> = [];
    const worker = new JobWorker({
      db: t.db,
      concurrency: 3,
      pollMs: 10,
      logger: quiet,
      onEvent: (e) => events.push(e),
      handlers: {
        square: async (payload, ctx) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          seen.push({ id: ctx.jobId, n: payload.n, attempt: ctx.attempt });
          await sleep(5);
          running--;
          return { square: (payload.n as number) ** 2 };
        },
      },
    });
    for (let n = 0; n < 10; n++) await enqueue(k, { name: 'square', payload: { n } });
    worker.start();
    await waitFor('all jobs to succeed', async () => (await stats(k)).byState.succeeded === 10);
    await worker.stop({ timeoutMs: 5000 });
    expect(maxRunning).toBe(3);
    expect(seen.map((s) => s.n).sort((a, b) => (a as number) - (b as number))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen.every((s) => s.attempt === 1)).toBe(true);
    const rows = await k.selectFrom('jobs').select(['payload', 'result', 'lease_owner']).execute();
    for (const r of rows) expect(r.result).toEqual({ square: (r.payload.n as number) ** 2 });
    expect(events.filter((e) => e.type === 'started')).toHaveLength(10);
    const ok = events.filter((e) => e.type === 'succeeded');
    expect(ok).toHaveLength(10);
    expect(ok.every((e) => e.name === 'square' && typeof e.durationSeconds === 'number' && e.durationSeconds >= 0)).toBe(true);
    expect(worker.running).toBe(0);
  });

  it('stop() waits for the running job and leases nothing new', async () => {
    const gate = deferred();
    const started = deferred();
    const worker = new JobWorker({
      db: t.db,
      concurrency: 1,
      pollMs: 10,
      logger: quiet,
      handlers: {
        slow: async () => {
          started.resolve();
          await gate.promise;
          return 'finished';
        },
      },
    });
    const { job: first } = await enqueue(k, { name: 'slow', priority: 1 });
    const { job: second } = await enqueue(k, { name: 'slow' });
    worker.start();
    await started.promise;
    let stopped = false;
    const stopping = worker.stop({ timeoutMs: 30_000 }).then(() => (stopped = true));
    await sleep(50);
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect((await getJob(k, first.id))!).toMatchObject({ state: 'succeeded', result: 'finished' });
    expect((await getJob(k, second.id))!).toMatchObject({ state: 'queued', attempts: 0 });
  });

  it('stop() aborts a job that outlives the timeout and hands it back to the queue', async () => {
    const started = deferred();
    let sawAbort = false;
    const worker = new JobWorker({
      db: t.db,
      pollMs: 10,
      logger: quiet,
      abortGraceMs: 5000,
      handlers: {
        stubborn: (_p, ctx) =>
          new Promise((_resolve, reject) => {
            started.resolve();
            ctx.signal.addEventListener('abort', () => {
              sawAbort = true;
              reject(ctx.signal.reason as Error);
            });
          }),
      },
    });
    const { job } = await enqueue(k, { name: 'stubborn' });
    worker.start();
    await started.promise;
    await worker.stop({ timeoutMs: 20 });
    expect(sawAbort).toBe(true);
    const row = (await getJob(k, job.id))!;
    expect(row).toMatchObject({ state: 'queued', attempts: 0, lease_owner: null });
    expect(row.last_error).toMatch(/released: worker shut down/);
  });

  it('retries a failing handler and dead-letters unknown job names', async () => {
    const events: JobEvent[] = [];
    let calls = 0;
    const worker = new JobWorker({
      db: t.db,
      logger: quiet,
      backoff: { baseMs: 1, capMs: 2 },
      onEvent: (e) => events.push(e),
      handlers: {
        flaky: async (_p, ctx) => {
          calls++;
          if (ctx.attempt < 2) throw new Error('transient');
          return 'second time lucky';
        },
      },
    });
    const { job: flaky } = await enqueue(k, { name: 'flaky' });
    const { job: unknown } = await enqueue(k, { name: 'nobody.handles.me', maxAttempts: 2 });
    const outcomes: string[] = [];
    await waitFor('both jobs to finish', async () => {
      for (const r of await worker.runOnce()) outcomes.push(`${r.name}:${r.attempt}:${r.outcome}`);
      const s = await stats(k);
      return s.byState.succeeded === 1 && s.byState.dead === 1;
    });
    expect(outcomes.sort()).toEqual(['flaky:1:failed', 'flaky:2:succeeded', 'nobody.handles.me:1:failed', 'nobody.handles.me:2:dead']);
    expect(calls).toBe(2);
    expect((await getJob(k, flaky.id))!).toMatchObject({ state: 'succeeded', attempts: 2, result: 'second time lucky' });
    const dead = (await getJob(k, unknown.id))!;
    expect(dead).toMatchObject({ state: 'dead', attempts: 2 });
    expect(dead.last_error).toContain('no handler registered for job "nobody.handles.me"');
    expect(events.filter((e) => e.type === 'failed').map((e) => e.name).sort()).toEqual(['flaky', 'nobody.handles.me']);
    expect(events.filter((e) => e.type === 'dead').map((e) => e.name)).toEqual(['nobody.handles.me']);
  });

  it('heartbeats keep a long job leased past its visibility timeout', async () => {
    const started = deferred();
    const gate = deferred();
    const worker = new JobWorker({
      db: t.db,
      visibilityMs: 900,
      logger: quiet,
      handlers: {
        long: async () => {
          started.resolve();
          await gate.promise;
          return 'done';
        },
      },
    });
    const { job } = await enqueue(k, { name: 'long' });
    const run = worker.runOnce();
    await started.promise;
    const firstExpiry = (await getJob(k, job.id))!.lease_expires_at!;
    // Well past the 900 ms lease; heartbeats every 300 ms keep pushing it out.
    await sleep(2000);
    expect(await recoverExpired(k)).toEqual([]);
    const laterExpiry = (await getJob(k, job.id))!.lease_expires_at!;
    expect(laterExpiry.getTime()).toBeGreaterThan(firstExpiry.getTime());
    gate.resolve();
    expect((await run).map((r) => r.outcome)).toEqual(['succeeded']);
    expect((await getJob(k, job.id))!).toMatchObject({ state: 'succeeded', attempts: 1 });
  });

  it('aborts the handler when its lease is lost (job cancelled) and discards the outcome', async () => {
    const started = deferred();
    let reason: unknown;
    const worker = new JobWorker({
      db: t.db,
      visibilityMs: 300,
      logger: quiet,
      handlers: {
        cancellable: (_p, ctx) =>
          new Promise((_resolve, reject) => {
            started.resolve();
            ctx.signal.addEventListener('abort', () => {
              reason = ctx.signal.reason;
              reject(new Error('aborted'));
            });
          }),
      },
    });
    const { job } = await enqueue(k, { name: 'cancellable' });
    const run = worker.runOnce();
    await started.promise;
    await cancel(k, job.id);
    const results = await run;
    expect(results.map((r) => r.outcome)).toEqual(['lost']);
    expect((reason as Error).message).toBe('lease lost');
    expect((await getJob(k, job.id))!).toMatchObject({ state: 'cancelled', last_error: null });
  });
});
