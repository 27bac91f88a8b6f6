// Runs the real `finhub` CLI as a child process for the fault tests: wait for
// a line or a condition, kill it with SIGKILL, or let it finish.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/finhub.js', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  output(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  kill9(): Promise<void>;
}

export function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, LOG_LEVEL: 'warn', FINHUB_LOG_FILE: 'off', FINHUB_ENV: 'test', ...extra };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  const listeners = new Set<() => void>();
  const on = (d: Buffer) => {
    buf += d.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout!.on('data', on);
  child.stderr!.on('data', on);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => {
    resolve(code ?? signal ?? -1);
    for (const l of listeners) l();
  }));
  return {
    child,
    output: () => buf,
    exited,
    waitFor(re, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${re} within ${timeoutMs} ms; output:\n${buf.slice(-3000)}`));
        }, timeoutMs);
        const check = () => {
          if (re.test(buf)) {
            clearTimeout(timer);
            listeners.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before ${re}; output:\n${buf.slice(-3000)}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs to completion; returns exit code and output. */
export async function cli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<{ code: number | string; out: string }> {
  const r = runCli(args, env);
  const timer = setTimeout(() => r.child.kill('SIGKILL'), timeoutMs);
  const code = await r.exited;
  clearTimeout(timer);
  return { code, out: r.output() };
}
