// Child processes for end-to-end tests: start on 127.0.0.1, keep the last
// output for failure messages, wait for readiness, always stop them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface Proc {
  name: string;
  child: ChildProcess;
  /** The last ~64 KiB of stdout and stderr, for failure messages. */
  output(): string;
  /** Resolves with the first match of `re` in the output (waiting up to timeoutMs). */
  waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

export function startProcess(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Proc {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    buf = (buf + d.toString('utf8')).slice(-65_536);
    for (const w of waiters) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    for (const w of waiters) w();
    resolve();
  }));
  child.once('error', (e) => onData(Buffer.from(`\n[spawn error] ${e.message}\n`)));
  return {
    name,
    child,
    output: () => buf,
    waitForOutput(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(buf);
          if (m) {
            done();
            resolve(m);
          } else if (exited) {
            done();
            reject(new Error(`${name} exited (code ${child.exitCode}) before printing ${re}:\n${buf.slice(-4000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name} did not print ${re} within ${timeoutMs} ms:\n${buf.slice(-4000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (exited || child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(killer);
    },
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v "${cmd}"`]).status === 0;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined; fails with `what` and the last error after timeoutMs. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

/** fetch with a time limit; 127.0.0.1 only by construction of the callers' URLs. */
export async function http(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const { timeoutMs = 5000, ...rest } = init;
  const res = await fetch(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}
