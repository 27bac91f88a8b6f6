// Maintenance mode and incidents from the CLI against a running embedded
// server: `finhub serve` runs as a child process, and every `finhub …` command
// below is another process whose command is forwarded over the control socket.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine } from '../helpers/db.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
let dir: string;
let server: ChildProcess | undefined;
let url: string;
let env: Record<string, string | undefined>;

const finhub = (...args: string[]) =>
  promisify(execFile)(process.execPath, [join(ROOT, 'bin/finhub.js'), ...args], { env, cwd: dir, encoding: 'utf8', timeout: 60_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe.runIf(testEngine === 'pglite')('CLI against a running embedded server', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'finhub-maint-'));
    env = { ...process.env, PORT: '0', FINHUB_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn', FINHUB_LOG_FILE: 'off', FINHUB_WATCHDOG_INTERVAL_SECONDS: '1' };
    server = spawn(process.execPath, [join(ROOT, 'bin/finhub.js'), 'serve'], { env, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 90_000);
      server!.stderr!.on('data', (c: Buffer) => {
        err += c.toString();
        const m = /finhub listening on (http:\/\/[\d.:]+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      server!.once('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
    });
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('maintenance on/status/off act on the running server at once', async () => {
    expect((await finhub('user', 'create', '--email', 'u@example.com')).code).toBe(0);
    const token = (await finhub('token', 'create', '--email', 'u@example.com')).stdout.trim();
    const write = () => fetch(`${url}/api/v1/ledgers`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Home', base_currency: 'EUR' }) });
    expect((await write()).status).toBe(201);

    const on = await finhub('maintenance', 'on', '--message', 'Upgrading storage', '--until', '2h', '--reason', 'disk swap');
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/maintenance mode is ON since .*: Upgrading storage/);
    const blocked = await write();
    expect(blocked.status).toBe(503);
    expect(blocked.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(7000);
    expect(((await blocked.json()) as { code: string }).code).toBe('MAINTENANCE_MODE');
    expect((await fetch(`${url}/api/v1/ledgers`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const status = JSON.parse((await (await fetch(`${url}/status.json`)).text()));
    expect(status.scheduled_maintenances[0]).toMatchObject({ name: 'Upgrading storage', status: 'in_progress' });
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^finhub_maintenance_mode 1$/m);
    expect(JSON.parse((await finhub('maintenance', 'status', '--json')).stdout)).toMatchObject({ on: true, reason: 'disk swap', by: expect.stringMatching(/^cli:/) });

    expect((await finhub('maintenance', 'off', '--reason', 'done')).stdout.trim()).toBe('maintenance mode is off');
    expect((await write()).status).toBe(201);
  });

  it('incident commands run inside the server, and postmortem --out is relative to the caller', async () => {
    const open = await finhub('incident', 'open', '--title', 'Imports stuck', '--severity', 'P2', '--component', 'imports', '--json');
    expect(open.code).toBe(0);
    const ref = JSON.parse(open.stdout).ref as string;
    expect((await finhub('incident', 'resolve', ref, '--note', 'queue drained')).code).toBe(0);
    const pm = await finhub('incident', 'postmortem', ref, '--out', 'pm.md');
    expect(pm.code).toBe(0);
    expect(existsSync(join(dir, 'pm.md'))).toBe(true);
    expect(readFileSync(join(dir, 'pm.md'), 'utf8')).toContain(`# Post-mortem: ${ref} Imports stuck`);
    // The watchdog runs in the server (interval 1 s here) and exposes its gauge.
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^finhub_watchdog_alerts_firing\{alert="HighErrorRate"\} 0$/m);
  });
});
