// The real server: listening, metrics checked by promtool, request ids,
// readiness failing first on drain while in-flight requests finish.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { createDb } from '../../src/db/create-db.ts';
import { migrateUp } from '../../src/db/migrator.ts';
import { startServer, type RunningServer } from '../../src/http/server.ts';
import { createScratchPgDatabase, testEngine } from '../helpers/db.ts';

describe('server', () => {
  let dir: string;
  let drop: (() => Promise<void>) | undefined;
  let env: Record<string, string>;
  let s: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'finhub-srv-'));
    env = { PORT: '0', LOG_LEVEL: 'silent', FINHUB_DATA_DIR: dir, FINHUB_SHUTDOWN_DELAY_MS: '700' };
    if (testEngine === 'postgres') {
      const scratch = await createScratchPgDatabase();
      drop = scratch.drop;
      env.DATABASE_URL = scratch.url;
      // PostgreSQL mode refuses pending migrations: first see the refusal, then migrate.
      await expect(startServer(loadConfig(env), { print: () => {} })).rejects.toThrow(/pending migration.*finhub migrate up/);
      const db = await createDb({ databaseUrl: scratch.url });
      await migrateUp(db);
      await db.close();
    }
    s = await startServer(loadConfig(env), { print: () => {} });
  });
  afterAll(async () => {
    await s?.stop();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers health checks in health+json and echoes a well-formed X-Request-Id', async () => {
    const live = await fetch(`${s.url}/health/live`);
    expect(live.headers.get('content-type')).toMatch(/application\/health\+json/);
    expect(((await live.json()) as any).status).toBe('pass');
    const ready = await fetch(`${s.url}/health/ready`, { headers: { 'x-request-id': 'probe-42' } });
    expect(ready.status).toBe(200);
    expect(ready.headers.get('x-request-id')).toBe('probe-42');
    expect(((await ready.json()) as any).checks['database:responseTime'][0].status).toBe('pass');
    const bad = await fetch(`${s.url}/api/v1/ledgers`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await bad.json()) as any).request_id).toBe(bad.headers.get('x-request-id'));
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = (await (await fetch(`${s.url}/api/openapi.json`)).json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v1/ledgers/{ledgerId}/transactions');
    expect((await fetch(`${s.url}/api/docs/`)).status).toBe(200);
  });

  it('exposes metrics that promtool accepts', async () => {
    await fetch(`${s.url}/api/v1/ledgers`);
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toContain('finhub_http_request_duration_seconds_bucket{');
    expect(text).toContain('route="/api/v1/ledgers"');
    expect(text).toMatch(/^finhub_users \d+/m);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.error, 'promtool must be installed (Debian package prometheus)').toBeUndefined();
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('on stop, readiness fails first while requests are still served, then it closes', async () => {
    const stopping = s.stop('test');
    await new Promise((r) => setTimeout(r, 100));
    const ready = await fetch(`${s.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as any).status).toBe('fail');
    // Other requests are still answered during the delay.
    expect((await fetch(`${s.url}/health/live`)).status).toBe(200);
    await stopping;
    await expect(fetch(`${s.url}/health/live`)).rejects.toThrow();
  });
});

describe('CLI against a running embedded server', () => {
  it.runIf(testEngine === 'pglite')('refuses a second server on the same data directory and forwards commands over the control socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'finhub-cli-'));
    const env = { ...process.env, PORT: '0', LOG_LEVEL: 'silent', FINHUB_DATA_DIR: dir };
    const s = await startServer(loadConfig(env), { print: () => {}, afterListen: async (c) => {
      const { startControlSocket } = await import('../../src/cli/control.ts');
      const { runCommand } = await import('../../src/cli/main.ts');
      const sock = await startControlSocket(dir, async (argv) => {
        const stdout: string[] = [];
        const stderr: string[] = [];
        const code = await runCommand(argv, { out: (l) => stdout.push(l), err: (l) => stderr.push(l) }, async () => c);
        return { code, stdout, stderr };
      });
      return sock.close;
    } });
    try {
      // Child processes run asynchronously: the server answering them lives in this process.
      const run = (args: string[]) => promisify(execFile)(process.execPath, ['bin/finhub.js', ...args], { env, encoding: 'utf8', timeout: 60_000 }).then(
        (r) => ({ status: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ status: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
      const second = await run(['serve']);
      expect(second.status).toBe(1);
      expect(second.stderr).toMatch(/in use by another finhub process \(pid \d+\)/);
      const created = await run(['user', 'create', '--email', 'ops@example.com', '--json']);
      expect(JSON.parse(created.stdout).email).toBe('ops@example.com');
      // The server sees the user: the command ran inside it.
      expect(await s.c.auth.findUserByEmail('ops@example.com')).toBeDefined();
      const dup = await run(['user', 'create', '--email', 'ops@example.com']);
      expect(dup.status).toBe(3);
      expect(dup.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
