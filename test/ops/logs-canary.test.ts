// Canary secrets: passwords, an API token, session cookies, Authorization
// headers and an account number are sent in successful and failing requests
// (4xx and 5xx), in query strings and bodies, and in a job's payload. Every log
// line the server writes (the stdout stream and the rotated log files, gzip
// included) is then searched for them. The same run checks that a request's
// lines carry its request id, including the lines of the job it enqueued.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainer, type Container } from '../../src/app/container.ts';
import { loadConfig } from '../../src/config/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { enqueue } from '../../src/jobs/jobs.repository.ts';
import { startJobs } from '../../src/jobs/jobs.runtime.ts';
import { waitFor } from '../../src/jobs/testing/wait.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { openServerLogger, type ServerLogger } from '../../src/ops/logs/log-file.ts';
import { listLogFiles } from '../../src/ops/logs/log-files.ts';
import { readLines } from '../../src/ops/logs/log-search.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';

const CANARY = {
  password: 'Canary-Pw-7f3a9c2e1b55',
  wrongPassword: 'Canary-WrongPw-4d2e8a61',
  newUserPassword: 'Canary-NewUserPw-90b1c7',
  fakeToken: 'fh_pat_CanaryFakeToken0b9d2e7f41a6c3',
  fakeSession: 'CanaryFakeSession5e1f0a9b3c7d',
  basicAuth: 'Canary-Basic-User:Canary-Basic-Pass',
  account: 'DE89370400440532013000',
  card: '4111111111111111',
  payload: 'Canary-JobPayload-Secret-77aa',
};

describe('logs never contain secrets', () => {
  let dir: string;
  let tdb: TestDb;
  let logs: ServerLogger;
  let c: Container;
  let app: FastifyInstance;
  const stdout: string[] = [];
  /** Secrets that only exist at run time (the real token and session cookie). */
  const live: string[] = [];
  let fileLines: string[] = [];
  let rotatedFiles = 0;

  const send = async (opts: { method: string; url: string; headers?: Record<string, string>; payload?: unknown }) => {
    const res = await app.inject({ method: opts.method as 'GET', url: opts.url, headers: opts.headers ?? {}, ...(opts.payload !== undefined ? { payload: opts.payload as object } : {}) });
    let body: any;
    try {
      body = JSON.parse(res.body);
    } catch {
      body = res.body;
    }
    return { status: res.statusCode, body, headers: res.headers };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'finhub-canary-'));
    const config = loadConfig({
      FINHUB_ENV: 'test', LOG_LEVEL: 'trace', FINHUB_DATA_DIR: dir,
      // Small files: the run rotates several times, so gzip files are searched too.
      FINHUB_LOG_MAX_SIZE: '2K', FINHUB_LOG_MAX_FILES: '1000',
      FINHUB_JOBS_WORKER: 'true', FINHUB_JOBS_POLL_MS: '20', FINHUB_SCHEDULER: 'false',
    });
    logs = openServerLogger(config, { stdout: { write: (l: string) => void stdout.push(l) } });
    tdb = await createTestDb();
    c = await createContainer(config, { db: tdb.db, logger: logs.logger });
    app = await buildApp(c);
    const stopJobs = await startJobs(c);
    // A worker for a job that always fails (its error is logged; its payload must not be).
    const failing = new JobWorker({ db: c.db, queues: ['canary'], pollMs: 20, logger: c.logger, handlers: { 'canary.fail': async () => { throw new Error('the canary job failed on purpose'); } } });
    failing.start();

    // A 5xx: PostgreSQL's own not-null error, whose detail echoes the row ("Failing row contains (…)").
    await sql.raw(`
      create function canary_break() returns trigger language plpgsql as $$ begin new.ledger_id := null; return new; end $$;
      create trigger canary_break before insert on payees for each row when (new.name like 'Canary-500%') execute function canary_break();
    `).execute(c.db.kysely);

    try {
      const admin = await c.auth.createUser(null, { email: 'admin@example.com', password: CANARY.password, isAdmin: true });
      expect(admin.is_admin).toBe(true);

      // Login: success (session cookie) and failure.
      const login = await send({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'admin@example.com', password: CANARY.password } });
      expect(login.status).toBe(200);
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      live.push(cookie.split('=')[1]!);
      expect((await send({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'admin@example.com', password: CANARY.wrongPassword } })).status).toBe(401);

      // An API token, created over the API and then used.
      const tok = await send({ method: 'POST', url: '/api/v1/tokens', headers: { cookie }, payload: { name: 'canary' } });
      expect(tok.status).toBe(201);
      live.push(tok.body.token);
      const bearer = { authorization: `Bearer ${tok.body.token}` };

      // User creation with a password, once valid and once rejected (too short a name is fine; unknown field is not).
      expect((await send({ method: 'POST', url: '/api/v1/users', headers: bearer, payload: { email: 'new@example.com', password: CANARY.newUserPassword } })).status).toBe(201);
      expect((await send({ method: 'POST', url: '/api/v1/users', headers: bearer, payload: { email: 'new2@example.com', password: CANARY.newUserPassword, pin: CANARY.password } })).status).toBe(400);

      // Wrong credentials of every kind.
      expect((await send({ method: 'GET', url: '/api/v1/ledgers', headers: { authorization: `Bearer ${CANARY.fakeToken}` } })).status).toBe(401);
      expect((await send({ method: 'GET', url: '/api/v1/ledgers', headers: { authorization: `Basic ${Buffer.from(CANARY.basicAuth).toString('base64')}` } })).status).toBe(401);
      expect((await send({ method: 'GET', url: '/api/v1/ledgers', headers: { cookie: `finhub_session=${CANARY.fakeSession}` } })).status).toBe(401);
      expect((await send({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie, 'x-api-key': CANARY.fakeToken } })).status).toBe(200);

      // The account number in bodies and query strings.
      const ledger = (await send({ method: 'POST', url: '/api/v1/ledgers', headers: bearer, payload: { name: 'Home', base_currency: 'EUR' } })).body.id as string;
      const account = (await send({ method: 'POST', url: `/api/v1/ledgers/${ledger}/accounts`, headers: bearer, payload: { name: 'Giro', type: 'checking', currency: 'EUR' } })).body.id as string;
      const tx = await send({ method: 'POST', url: `/api/v1/ledgers/${ledger}/transactions`, headers: { ...bearer, 'x-request-id': 'canary-req-tx' }, payload: { account_id: account, posted_on: '2026-11-01', amount_minor: -1250, payee_name: `Card ${CANARY.card}`, notes: `IBAN ${CANARY.account}` } });
      expect(tx.status, JSON.stringify(tx.body)).toBe(201);
      expect((await send({ method: 'POST', url: `/api/v1/ledgers/${ledger}/transactions`, headers: bearer, payload: { account_id: account, posted_on: '2026-13-01', amount_minor: 1.5, notes: CANARY.account } })).status).toBe(400);
      expect((await send({ method: 'GET', url: `/api/v1/ledgers/${ledger}/transactions?q=${CANARY.account}&limit=5`, headers: bearer })).status).toBe(200);
      expect((await send({ method: 'GET', url: `/api/v1/ledgers/${ledger}/transactions?limit=${CANARY.card}`, headers: bearer })).status).toBe(400);
      expect((await send({ method: 'GET', url: `/api/v1/no-such-route?account=${CANARY.account}&password=${CANARY.password}`, headers: bearer })).status).toBe(404);
      expect((await send({ method: 'GET', url: `/no-such-page?token=${CANARY.fakeToken}` })).status).toBe(404);
      expect((await send({ method: 'GET', url: `/api/v1/ledgers?%zz=${CANARY.account}`, headers: bearer })).status).toBeLessThan(500);
      // 5xx with the account number in the failing row.
      const broken = await send({ method: 'POST', url: `/api/v1/ledgers/${ledger}/payees`, headers: { ...bearer, 'x-request-id': 'canary-req-500' }, payload: { name: `Canary-500 ${CANARY.account}` } });
      expect(broken.status).toBe(500);

      // A job enqueued by a request, and a job with secrets in its payload that fails.
      const snap = await send({ method: 'POST', url: '/api/v1/ops/snapshots', headers: { ...bearer, 'x-request-id': 'canary-req-job' } });
      expect(snap.status).toBe(202);
      const failingJob = (await enqueue(c.db.kysely, { name: 'canary.fail', queue: 'canary', maxAttempts: 1, requestId: 'canary-req-fail', payload: { password: CANARY.password, account: CANARY.account, note: CANARY.payload } })).job;
      await waitFor('both jobs to finish', async () => {
        const rows = await c.db.kysely.selectFrom('jobs').select('state').where('id', 'in', [snap.body.job_id, failingJob.id]).execute();
        return rows.length === 2 && rows.every((r) => r.state === 'succeeded' || r.state === 'dead');
      }, { timeoutMs: 30_000 });
      const jobRow = await c.db.kysely.selectFrom('jobs').select(['request_id', 'state']).where('id', '=', snap.body.job_id).executeTakeFirstOrThrow();
      expect(jobRow).toEqual({ request_id: 'canary-req-job', state: 'succeeded' });
    } finally {
      await failing.stop();
      await stopJobs();
      await app.close();
      await logs.close();
    }
    const files = await listLogFiles(logs.file!);
    rotatedFiles = files.filter((f) => f.endedAt).length;
    for (const f of files) await readLines(f.path, (l) => void fileLines.push(l));
    fileLines = fileLines.filter(Boolean);
  });

  afterAll(async () => {
    await tdb?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('wrote the whole run to stdout and to the rotated, compressed files', () => {
    expect(stdout.length).toBeGreaterThan(50);
    expect(rotatedFiles).toBeGreaterThan(1);
    expect(fileLines.length).toBe(stdout.length);
  });

  it('contains no canary, in any form, on stdout or in any log file', () => {
    const secrets = [
      ...Object.values(CANARY),
      ...live,
      Buffer.from(CANARY.basicAuth).toString('base64'),
      encodeURIComponent(CANARY.basicAuth),
    ];
    expect(live).toHaveLength(2);
    if (process.env.CANARY_DEBUG) for (const l of stdout) if (secrets.some((s) => l.includes(s))) console.log('LEAK', l);
    for (const [where, lines] of [['stdout', stdout], ['log files', fileLines]] as const) {
      const text = lines.join('\n');
      for (const s of secrets) expect(text.includes(s), `${where} contains ${s}`).toBe(false);
    }
  });

  it('still logs what an operator needs: the 5xx with its error code, rejected requests, the failed job', () => {
    const parsed = stdout.map((l) => JSON.parse(l) as Record<string, any>);
    const failure = parsed.find((l) => l.msg === 'request failed' && l.request_id === 'canary-req-500');
    expect(failure?.level).toBe('error');
    expect(failure?.err?.code).toBe('23502');
    expect(failure?.err?.detail).toBeUndefined();
    expect(failure?.err?.params).toBeUndefined();
    expect(parsed.some((l) => l.msg === 'request rejected' && l.code === 'INVALID_CREDENTIALS')).toBe(true);
    const dead = parsed.find((l) => l.msg === 'job failed for the last time; moved to dead letters');
    expect(dead).toMatchObject({ request_id: 'canary-req-fail', name: 'canary.fail' });
    expect(dead?.err).toContain('the canary job failed on purpose');
  });

  it('puts the request id on every line of a request, and on the lines of the job it enqueued', () => {
    const parsed = stdout.map((l) => JSON.parse(l) as Record<string, any>);
    for (const l of parsed.filter((x) => x.req || x.res || x.msg === 'request completed')) expect(l.request_id, JSON.stringify(l)).toBeTypeOf('string');
    const tx = parsed.filter((l) => l.request_id === 'canary-req-tx').map((l) => l.msg);
    expect(tx).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
    const job = parsed.filter((l) => l.request_id === 'canary-req-job').map((l) => l.msg);
    expect(job).toEqual(expect.arrayContaining(['incoming request', 'request completed', 'ops snapshot recorded', 'job succeeded']));
  });
});
