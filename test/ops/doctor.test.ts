// `finhub doctor` on both engines: the detailed checks plus errors in the last
// 24 h (log files and traffic snapshots) and open incidents, with exit codes
// 0/1/2; and, embedded, against a real `finhub serve` over the control socket
// and then locally once the server has stopped.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/main.ts';
import { DOCTOR_EXIT } from '../../src/ops/doctor/doctor.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { testEngine } from '../helpers/db.ts';

async function cli(t: TestApp, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, async () => t.c);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const logLine = (level: string, at: Date, msg: string) => JSON.stringify({ level, time: at.toISOString(), service: 'finhub', msg });

describe('finhub doctor', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'finhub-doctor-'));
    t = await createTestApp({ FINHUB_ENV: 'development', FINHUB_LOG_FILE: join(dir, 'finhub.log') });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('maps pass/warn/fail to exit 0/1/2', () => {
    expect(DOCTOR_EXIT).toEqual({ pass: 0, warn: 1, fail: 2 });
  });

  it('warns without backups and prints problems first, then everything else', async () => {
    const r = await cli(t, ['doctor']);
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^finhub doctor: \d+\.\d+\.\d+/);
    const rows = lines.filter((l) => /^(ok {2}|WARN|FAIL) /.test(l));
    expect(rows.length).toBeGreaterThan(15);
    const firstOk = rows.findIndex((l) => l.startsWith('ok'));
    expect(rows.slice(0, firstOk).every((l) => l.startsWith('WARN'))).toBe(true);
    expect(rows.slice(firstOk).every((l) => l.startsWith('ok'))).toBe(true);
    expect(r.out).toMatch(/WARN {2}backup:lastSuccessAge/);
    expect(r.out).toMatch(/ok {4}database:responseTime/);
    expect(r.out).toMatch(/no log file yet at /);
    expect(lines.at(-1)).toBe('overall: WARN (exit 1)');
  });

  it('counts error lines of the last 24 hours in the log files and the 5xx share from snapshots', async () => {
    const now = Date.now();
    writeFileSync(join(dir, 'finhub.log'), [
      logLine('error', new Date(now - 30 * 3600_000), 'too old to count'),
      logLine('error', new Date(now - 3600_000), 'counted'),
      logLine('fatal', new Date(now - 60_000), 'counted too'),
      logLine('warn', new Date(now - 60_000), 'not an error'),
    ].join('\n') + '\n');
    const routes = JSON.stringify({ le: [0.1], routes: [{ method: 'GET', route: '/api/v1/ledgers', count: 100, server_errors: 5, client_errors: 0, buckets: [100, 0] }] });
    await t.c.db.kysely.insertInto('ops_snapshots_traffic').values({ instance: 'x:1', period_start: new Date(now - 600_000), period_end: new Date(now - 300_000), requests: 100, server_errors: 5, client_errors: 0, failed_logins: 0, jobs_succeeded: 0, jobs_failed: 0, jobs_dead: 0, routes }).execute();
    const r = JSON.parse((await cli(t, ['doctor', '--json'])).out);
    expect(r.checks['logs:errors24h'][0]).toMatchObject({ status: 'warn', observedValue: 2 });
    expect(r.checks['logs:errors24h'][0].output).toContain('finhub logs search --since 24h --level error');
    expect(r.checks['http:serverErrors24h'][0]).toMatchObject({ status: 'warn', observedValue: 5 });
    expect(r.checks['http:serverErrors24h'][0].output).toMatch(/5 of 100 requests \(5\.00%; warn above 1\.0%/);
    expect(r.status).toBe('warn');
  });

  it('fails with exit 2 while a P0/P1 incident is open', async () => {
    const inc = await t.c.incidents.open({ name: 'doctor-test', actor: null }, { title: 'Database down', severity: 'P1' });
    try {
      const r = await cli(t, ['doctor', '--json']);
      expect(r.code).toBe(2);
      const doc = JSON.parse(r.out);
      expect(doc.status).toBe('fail');
      expect(doc.checks['incidents:open'][0]).toMatchObject({ status: 'fail', observedValue: 1 });
      expect(doc.checks['incidents:open'][0].output).toMatch(/P1: 1/);
    } finally {
      await t.c.incidents.resolve({ name: 'doctor-test', actor: null }, inc.ref);
    }
    expect((await cli(t, ['doctor'])).code).toBe(1);
  });
});

describe.runIf(testEngine === 'pglite')('finhub doctor and logs search against a running embedded server', () => {
  let dir: string;
  let server: ChildProcess;
  let env: NodeJS.ProcessEnv;
  let baseUrl: string;
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, ['bin/finhub.js', ...args], { env, encoding: 'utf8', timeout: 120_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'finhub-doctor-srv-'));
    mkdirSync(join(dir, 'data'));
    env = { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', FINHUB_ENV: 'development', FINHUB_DATA_DIR: join(dir, 'data'), FINHUB_TEST_ENGINE: '' };
    delete env.DATABASE_URL;
    server = spawn(process.execPath, ['bin/finhub.js', 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 120_000);
      server.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /finhub listening on (http:\/\/[\d.]+:\d+)/.exec(stderr);
        if (m) {
          baseUrl = m[1]!;
          clearTimeout(timer);
          resolve();
        }
      });
      server.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    });
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('every command of the runbook sections this work owns runs against it', async () => {
    const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');
    const sections = ['Morning check (finhub doctor)', 'Health endpoints', 'Logs', 'Ops report and capacity', 'Database maintenance'];
    const commands: string[] = [];
    for (const title of sections) {
      const start = runbook.indexOf(`\n## ${title}\n`);
      expect(start, title).toBeGreaterThan(0);
      const body = runbook.slice(start + 1).split(/\n## /)[0]!;
      for (const block of body.matchAll(/```sh\n([\s\S]*?)```/g)) commands.push(...block[1]!.split('\n').filter((l) => /^(npx finhub|curl) /.test(l)));
    }
    expect(commands.length).toBeGreaterThan(15);
    // An administrator's token for the detailed health endpoint, as the runbook says.
    expect((await run(['user', 'create', '--email', 'admin@example.com', '--admin'])).code).toBe(0);
    const token = (await run(['token', 'create', '--email', 'admin@example.com'])).stdout.trim();
    expect(token).toMatch(/^fh_pat_/);
    const work = join(dir, 'work');
    mkdirSync(work);
    const check = async (cmd: string) => {
      const line = cmd.replace(/^npx finhub /, `"${process.execPath}" "${join(process.cwd(), 'bin/finhub.js')}" `).replaceAll('localhost:8080', baseUrl.replace('http://', ''));
      const r = await promisify(execFile)('sh', ['-c', line], { env: { ...env, TOKEN: token }, cwd: work, encoding: 'utf8', timeout: 120_000 }).then(
        (x) => ({ code: 0, stdout: x.stdout, stderr: x.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
      // doctor exits 1 here (no backup yet); everything else must succeed.
      expect(r.code, `${cmd}\n${r.stdout}\n${r.stderr}`).toBe(cmd.startsWith('npx finhub doctor') ? 1 : 0);
      if (cmd.startsWith('curl')) expect(['pass', 'warn'], cmd).toContain(JSON.parse(r.stdout).status);
    };
    // A few at a time: most of each command's time is starting Node.
    const queue = [...commands];
    await Promise.all(Array.from({ length: 3 }, async () => {
      for (let cmd = queue.shift(); cmd !== undefined; cmd = queue.shift()) await check(cmd);
    }));
  }, 600_000);

  it('runs inside the server over the control socket, then locally after it stopped', async () => {
    const remote = await run(['doctor', '--json']);
    expect(remote.stderr).toBe('');
    expect(remote.code).toBe(1); // no backup yet: warn
    const doc = JSON.parse(remote.stdout);
    expect(doc.description).toBe('finhub doctor');
    // It ran in the server process: that process runs the job worker.
    expect(doc.checks['jobs:worker'][0].observedValue).toBe('running');
    expect(doc.checks['database:responseTime'][0].status).toBe('pass');

    // The server writes its log file; search finds its start-up line over the socket too.
    const found = await run(['logs', 'search', '--since', '1h', '--grep', 'finhub listening', '--json']);
    expect(found.code).toBe(0);
    expect(found.stdout.trim().split('\n').map((l) => JSON.parse(l).msg)).toEqual(['finhub listening']);

    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    const local = await run(['doctor']);
    expect(local.code).toBe(1);
    expect(local.stdout).toMatch(/jobs:worker +none/);
    expect(local.stdout).toMatch(/logs:errors24h/);
  }, 300_000);
});
