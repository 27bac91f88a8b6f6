// Several worker PROCESSES sharing one PostgreSQL queue (PGlite is one
// connection inside one process, so this only applies to PostgreSQL).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { createTestDb, testEngine, type TestDb } from '../../test/helpers/db.ts';
import type { Database } from '../db/schema.ts';
import { enqueue, getJob, LEASE_EXPIRED_ERROR } from './jobs.repository.ts';
import { waitFor } from './testing/wait.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEADLINE_MS = 60_000;

interface Child {
  proc: ChildProcess;
  workerId: string;
  exited: Promise<number | null>;
  stderr: string[];
}

describe.runIf(testEngine === 'postgres')('worker processes on PostgreSQL', () => {
  let t: TestDb;
  let k: Kysely<Database>;
  const children: Child[] = [];

  beforeAll(async () => {
    t = await createTestDb();
    k = t.db.kysely;
    await sql`create table job_runs (job_id uuid not null, worker_id text not null, attempt int not null, at timestamptz not null default clock_timestamp())`.execute(k);
  });

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await Promise.race([Promise.all(children.map((c) => c.exited)), new Promise((r) => setTimeout(r, 10_000))]);
    await t?.cleanup();
  });

  async function spawnWorker(args: string[]): Promise<Child> {
    const proc = spawn(process.execPath, ['bin/run-ts.js', 'src/jobs/testing/worker-process.ts', t.url!, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const child: Child = { proc, workerId: '', exited, stderr };
    children.push(child);
    child.workerId = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`worker process did not start: ${stderr.join('')}`)), 30_000);
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { workerId: string }).workerId);
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`worker process exited (${code}) before it was ready: ${stderr.join('')}`));
      });
    });
    return child;
  }

  async function stopGracefully(c: Child): Promise<number | null> {
    c.proc.kill('SIGTERM');
    const code = await Promise.race([c.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    if (code === 'timeout') {
      c.proc.kill('SIGKILL');
      throw new Error('worker process ignored SIGTERM');
    }
    return code;
  }

  it('runs 200 jobs across 3 processes, each exactly once', async () => {
    const workers = await Promise.all([0, 1, 2].map(() => spawnWorker(['--queue', 'bulk', '--concurrency', '2', '--poll-ms', '20'])));
    const ids = await k.transaction().execute(async (tx) => {
      const out: string[] = [];
      for (let i = 0; i < 200; i++) out.push((await enqueue(tx, { name: 'record', queue: 'bulk', payload: { i, sleepMs: 5 } })).job.id);
      return out;
    });
    await waitFor(
      'all 200 jobs to succeed',
      async () => {
        const r = await k.selectFrom('jobs').select((eb) => eb.fn.countAll<bigint>().as('n')).where('state', '=', 'succeeded').executeTakeFirstOrThrow();
        return r.n === 200n;
      },
      { timeoutMs: DEADLINE_MS, intervalMs: 100 },
    );

    const runs = await k
      .selectFrom(sql<{ job_id: string; worker_id: string; attempt: number }>`job_runs`.as('r'))
      .select(['r.job_id', 'r.worker_id', 'r.attempt'])
      .execute();
    expect(runs).toHaveLength(200);
    expect(new Set(runs.map((r) => r.job_id))).toEqual(new Set(ids));
    expect(runs.every((r) => r.attempt === 1)).toBe(true);
    const byWorker = new Map<string, number>();
    for (const r of runs) byWorker.set(r.worker_id, (byWorker.get(r.worker_id) ?? 0) + 1);
    expect(byWorker.size).toBeGreaterThan(1);
    for (const w of byWorker.keys()) expect(workers.map((c) => c.workerId)).toContain(w);

    const jobs = await k.selectFrom('jobs').select(['id', 'state', 'attempts', 'result']).where('queue', '=', 'bulk').execute();
    const ranBy = new Map(runs.map((r) => [r.job_id, r.worker_id]));
    for (const j of jobs) {
      expect(j).toMatchObject({ state: 'succeeded', attempts: 1 });
      expect(j.result).toEqual({ workerId: ranBy.get(j.id) });
    }

    const codes = await Promise.all(workers.map(stopGracefully));
    expect(codes).toEqual([0, 0, 0]);
  }, 120_000);

  it('finishes a job on another process after the one running it is SIGKILLed', async () => {
    const args = ['--queue', 'crash', '--concurrency', '1', '--poll-ms', '20', '--visibility-ms', '1500'];
    const workers = await Promise.all([spawnWorker(args), spawnWorker(args)]);
    const { job } = await enqueue(k, { name: 'hang-first', queue: 'crash' });

    const first = await waitFor(
      'the first attempt to start',
      async () => (await sql<{ worker_id: string }>`select worker_id from job_runs where job_id = ${job.id} and attempt = 1`.execute(k)).rows[0],
      { timeoutMs: DEADLINE_MS },
    );
    const victim = workers.find((w) => w.workerId === first.worker_id)!;
    const survivor = workers.find((w) => w !== victim)!;
    expect(victim).toBeDefined();
    victim.proc.kill('SIGKILL');
    await victim.exited;

    const done = await waitFor(
      'the job to be completed by the surviving process',
      async () => {
        const j = await getJob(k, job.id);
        return j?.state === 'succeeded' ? j : undefined;
      },
      { timeoutMs: DEADLINE_MS, intervalMs: 50 },
    );
    expect(done).toMatchObject({ attempts: 2, result: { workerId: survivor.workerId }, last_error: LEASE_EXPIRED_ERROR });
    const runs = (await sql<{ worker_id: string; attempt: number }>`select worker_id, attempt from job_runs where job_id = ${job.id} order by attempt`.execute(k)).rows;
    expect(runs).toEqual([
      { worker_id: victim.workerId, attempt: 1 },
      { worker_id: survivor.workerId, attempt: 2 },
    ]);
    expect(await stopGracefully(survivor)).toBe(0);
  }, 120_000);
});
