// Backup benchmark (the `backup` group of `npm run bench`): a ledger with
// 1,000,000 transactions (the read benchmark's set-based loader and fixtures),
// then, each in a child process (bench/backup-child.ts) so that its peak RSS is
// its own: `backup create`, `backup verify --level 3` (restore into a scratch
// database and compare every fingerprint) and `backup restore` into an empty
// database. Two diagnostic children run too: the engine's memory floor (open
// the database) and the snapshot read alone (no compression, no encryption),
// so a missed target can be attributed to a phase. See bench/README.md.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { generateKeyPair } from '../src/backup/age.ts';
import { createDb, type Db, type Engine } from '../src/db/create-db.ts';
import { migrateUp } from '../src/db/migrator.ts';
import { createAuthService } from '../src/auth/auth.service.ts';
import type { BackupChildJob, BackupChildResult } from './backup-child.ts';
import { loadData, type LedgerSpec } from './load.ts';
import { createScratchDatabase, createScratchDataDir, type Cleanup } from './pg-scratch.ts';

const BENCH_DIR = new URL('.', import.meta.url).pathname;
const REPO = join(BENCH_DIR, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');
export const BACKUP_TARGETS = { create_seconds: 30, verify_l3_seconds: 60, restore_seconds: 60, peak_rss_mib: 300 };
const CHILD_TIMEOUT_MS = 30 * 60_000;

export interface BackupBenchOptions {
  scale: 'full' | 'small';
  /** Top-level transactions in the ledger (1,000,000 full / 100,000 small). */
  rows: number;
  adminUrl: string;
  keep: boolean;
}


export interface StepOut {
  name: 'open' | 'snapshot_read' | 'create' | 'verify_l3' | 'restore';
  seconds: number;
  peak_rss_mib: number;
  vm_hwm_mib: number | null;
  /** CPU seconds of the step's process and of its PostgreSQL backends (independent of machine load). */
  cpu_seconds: BackupChildResult['cpu_seconds'];
  target_seconds: number | null;
  /** null for the diagnostic steps. */
  pass: boolean | null;
  /** Where the time went, from the step's own progress lines. */
  phases: { phase: string; seconds: number }[];
  detail: Record<string, unknown>;
}

export interface BackupBenchResult {
  group: 'backup';
  engine: Engine;
  scale: BackupBenchOptions['scale'];
  started_at: string;
  finished_at: string;
  ok: boolean;
  command: string;
  options: Record<string, unknown>;
  machine: Record<string, unknown>;
  data: { transactions: number; rows_in_backup: number | null; database_bytes: number | null; archive_bytes: number | null; load_seconds: number };
  targets: typeof BACKUP_TARGETS;
  steps: StepOut[];
  /** One line per missed target: which phase took the time or the memory. */
  diagnosis: string[];
  loadavg_1m: number[];
}

const stamp = () => new Date().toISOString().replace(/[-:.]/g, '').replace(/z$/i, '').toLowerCase();

function machineInfo() {
  const cpus = os.cpus();
  return { cpus: cpus.length, cpu_model: cpus[0]?.model ?? 'unknown', total_memory_gib: Number((os.totalmem() / 2 ** 30).toFixed(1)), node: process.version, platform: `${os.platform()} ${os.release()} ${os.arch()}`, loadavg_at_start: os.loadavg().map((x) => Number(x.toFixed(2))) };
}

function runChild(job: BackupChildJob, log: (m: string) => void): Promise<BackupChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/run-ts.js'), join(BENCH_DIR, 'backup-child.ts'), JSON.stringify(job)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`backup child (${job.mode}) exited with ${code ?? signal}: ${err.slice(-2000)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as BackupChildResult);
      } catch {
        reject(new Error(`backup child (${job.mode}) printed no result: ${out.slice(-500)} ${err.slice(-500)}`));
      }
      if (err.trim()) log(`  (child stderr) ${err.trim().slice(0, 500)}`);
    });
  });
}

/** A PostgreSQL database or a PGlite directory, removed by the cleanups (unless --keep). */
async function newDatabase(engine: Engine, label: string, opts: BackupBenchOptions, cleanups: Cleanup[], log: (m: string) => void): Promise<{ url?: string; dir?: string }> {
  if (engine === 'postgres') {
    const url = await createScratchDatabase(opts.adminUrl, `finhub_bench_bk_${label}_${stamp()}`, opts.keep, cleanups, log);
    return { url };
  }
  const dir = createScratchDataDir(`finhub-bench-bk-${label}-`, opts.keep, cleanups, log);
  return { dir };
}

/**
 * Phases from a step's timeline. `create` prints a table's line when the table
 * is done (its time is the gap before it); the others print a line when a phase
 * starts (its time is the gap after it).
 */
export function phasesOf(r: BackupChildResult, attribution: 'ends' | 'starts'): { phase: string; seconds: number }[] {
  const tl = r.timeline;
  const out: { phase: string; seconds: number }[] = [];
  for (let i = 0; i < tl.length; i++) {
    const from = attribution === 'ends' ? (i === 0 ? 0 : tl[i - 1]!.t) : tl[i]!.t;
    const to = attribution === 'ends' ? tl[i]!.t : (tl[i + 1]?.t ?? r.seconds);
    const label = tl[i]!.line
      .trim()
      .replace(/^(loading \S+) \(.*\)$/, '$1')
      .replace(/^(\S+): \d+ rows$/, 'table $1')
      .replace(/^snapshot at .*$/, 'start: snapshot, table list, ledger invariants')
      // verify prints its level 3 line only once the scratch database is open.
      .replace(/^level 2: .*$/, 'level 2 (decrypt + read everything) + opening the scratch database')
      .replace(/^level 3: .*$/, 'level 3: preparing the restore');
    out.push({ phase: label.slice(0, 80), seconds: Number((to - from).toFixed(2)) });
  }
  if (attribution === 'ends' && tl.length) out.push({ phase: 'after the last table (trailer, fsync, rename, catalogue)', seconds: Number((r.seconds - tl.at(-1)!.t).toFixed(2)) });
  return out.filter((p) => p.seconds >= 0.05);
}

const top = (phases: { phase: string; seconds: number }[], n = 3) => [...phases].sort((a, b) => b.seconds - a.seconds).slice(0, n).map((p) => `${p.phase} ${p.seconds.toFixed(1)} s`).join(', ');

export async function runBackupBench(engine: Engine, opts: BackupBenchOptions, cleanups: Cleanup[], log: (m: string) => void): Promise<BackupBenchResult> {
  const started = new Date();
  const result: BackupBenchResult = {
    group: 'backup', engine, scale: opts.scale, started_at: started.toISOString(), finished_at: '', ok: false,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    options: { rows: opts.rows, keep: opts.keep },
    machine: machineInfo(),
    data: { transactions: 0, rows_in_backup: null, database_bytes: null, archive_bytes: null, load_seconds: 0 },
    targets: BACKUP_TARGETS, steps: [], diagnosis: [], loadavg_1m: [],
  };

  // ---- the source database: one ledger of opts.rows transactions ----
  const src = await newDatabase(engine, 'src', opts, cleanups, log);
  let db: Db | undefined = await createDb(src.url ? { databaseUrl: src.url, poolSize: 4, statementTimeoutMs: 0, applicationName: 'finhub-bench' } : { dataDir: src.dir });
  cleanups.push({ label: 'close source database', fn: async () => { await db?.close(); db = undefined; } });
  await migrateUp(db);
  const userId = (await createAuthService({ db, sessionTtlHours: 1 }).createUser(null, { email: 'bench-backup@example.com', password: 'bench-password-1234', displayName: 'Bench' })).id;
  const spec: LedgerSpec = { id: randomUUID(), ord: 0, name: 'Backup Bench', rows: opts.rows, big: true };
  log(`loading one ledger with ${opts.rows.toLocaleString('en-US')} transactions`);
  const load = await loadData(db.kysely, { userId, ledgers: [spec], indexMode: 'rebuild', log });
  await sql`analyze`.execute(db.kysely);
  result.data.load_seconds = Number(load.seconds.toFixed(1));
  result.data.transactions = Number((await sql<{ n: string }>`select count(*)::text as n from transactions`.execute(db.kysely)).rows[0]!.n);
  if (engine === 'postgres') result.data.database_bytes = Number((await sql<{ n: string }>`select pg_database_size(current_database())::text as n`.execute(db.kysely)).rows[0]!.n);
  else result.data.database_bytes = Number((await sql<{ n: string }>`select sum(pg_total_relation_size(c.oid))::text as n from pg_class c where c.relkind in ('r', 'm') and c.relnamespace = current_schema()::regnamespace`.execute(db.kysely)).rows[0]!.n);
  log(`loaded ${result.data.transactions.toLocaleString('en-US')} transaction rows in ${result.data.load_seconds} s`);
  // The children open the database themselves; an embedded data directory admits one process at a time.
  await db.close();
  db = undefined;

  // ---- keys and the backup directory ----
  const work = mkdtempSync(join(os.tmpdir(), 'finhub-bench-bk-work-'));
  cleanups.push({ label: `remove ${work}`, fn: async () => rmSync(work, { recursive: true, force: true }) });
  const { identity, recipient } = await generateKeyPair();
  const identityFile = join(work, 'key.txt');
  writeFileSync(identityFile, `${identity}\n`, { mode: 0o600 });
  const base = { engine, backupDir: join(work, 'backups'), recipient, identityFile };
  const source = { ...base, ...(src.url ? { databaseUrl: src.url } : { dataDir: src.dir }) };

  const step = async (name: StepOut['name'], job: BackupChildJob, target: number | null, attribution: 'ends' | 'starts', detail: (r: BackupChildResult) => Record<string, unknown> = () => ({})) => {
    log(`${name}: running`);
    result.loadavg_1m.push(Number(os.loadavg()[0]!.toFixed(2)));
    const r = await runChild(job, log);
    const out: StepOut = {
      name, seconds: Number(r.seconds.toFixed(2)), peak_rss_mib: r.peak_rss_mib, vm_hwm_mib: r.vm_hwm_mib, cpu_seconds: r.cpu_seconds, target_seconds: target,
      pass: target === null ? null : r.seconds <= target && r.peak_rss_mib <= BACKUP_TARGETS.peak_rss_mib && r.ok !== false,
      phases: phasesOf(r, attribution), detail: detail(r),
    };
    result.steps.push(out);
    log(`${name}: ${out.seconds.toFixed(1)} s (CPU: node ${r.cpu_seconds.node.toFixed(1)} s${r.cpu_seconds.postgres === null ? '' : `, postgres ${r.cpu_seconds.postgres.toFixed(1)} s`}), peak RSS ${out.peak_rss_mib.toFixed(0)} MiB${out.pass === null ? '' : out.pass ? ' PASS' : ' FAIL'}; slowest phases: ${top(out.phases) || '-'}`);
    return { r, out };
  };

  await step('open', { ...source, mode: 'open' }, null, 'starts');
  await step('snapshot_read', { ...source, mode: 'read' }, null, 'ends', (r) => ({ rows: r.rows, text_bytes: r.text_bytes }));
  const created = await step('create', { ...source, mode: 'create' }, BACKUP_TARGETS.create_seconds, 'ends', (r) => ({ id: r.id, archive_bytes: r.archive_bytes, rows: r.rows }));
  const id = created.r.id!;
  result.data.archive_bytes = created.r.archive_bytes ?? null;
  result.data.rows_in_backup = created.r.rows ?? null;
  await step('verify_l3', { ...source, mode: 'verify', id }, BACKUP_TARGETS.verify_l3_seconds, 'starts', (r) => ({ ok: r.ok, problems: r.problems, ...r.detail }));
  const target = await newDatabase(engine, 'restore', opts, cleanups, log);
  await step('restore', { ...base, ...(target.url ? { databaseUrl: target.url } : { dataDir: target.dir }), mode: 'restore', id }, BACKUP_TARGETS.restore_seconds, 'starts', (r) => ({ rows: r.rows, ...r.detail }));

  result.diagnosis = diagnose(result);
  result.ok = result.steps.every((s) => s.pass !== false);
  result.finished_at = new Date().toISOString();
  return result;
}

/** Names the phase behind every missed target. */
export function diagnose(r: BackupBenchResult): string[] {
  const s = (n: StepOut['name']) => r.steps.find((x) => x.name === n);
  const out: string[] = [];
  const floor = s('open')?.peak_rss_mib ?? 0;
  const read = s('snapshot_read');
  for (const x of r.steps) {
    if (x.pass !== false) continue;
    if (x.target_seconds !== null && x.seconds > x.target_seconds) {
      if (x.name === 'create' && read) {
        out.push(`create took ${x.seconds.toFixed(1)} s (target ${x.target_seconds}): the snapshot read alone (page-by-page SELECT and row encoding, no compression or encryption) took ${read.seconds.toFixed(1)} s, so gzip + age encryption + writing took about ${Math.max(0, x.seconds - read.seconds).toFixed(1)} s; slowest: ${top(x.phases)}`);
      } else if (x.name === 'verify_l3') {
        const rs = (x.detail.restore_seconds ?? {}) as { restore?: number; fingerprints?: number };
        out.push(`verify L3 took ${x.seconds.toFixed(1)} s (target ${x.target_seconds}): restore into scratch ${rs.restore?.toFixed(1) ?? '?'} s, fingerprint recomputation ${rs.fingerprints?.toFixed(1) ?? '?'} s, the rest (L1 checksum + L2 full decrypt/decompress pass, scratch create/drop) ${(x.seconds - (rs.restore ?? 0) - (rs.fingerprints ?? 0)).toFixed(1)} s; slowest: ${top(x.phases)}`);
      } else {
        out.push(`${x.name} took ${x.seconds.toFixed(1)} s (target ${x.target_seconds}); slowest: ${top(x.phases)}`);
      }
    }
    if (x.peak_rss_mib > r.targets.peak_rss_mib) {
      out.push(`${x.name} peaked at ${x.peak_rss_mib.toFixed(0)} MiB RSS (target ${r.targets.peak_rss_mib}); opening the database and the container alone takes ${floor.toFixed(0)} MiB (${r.engine === 'pglite' ? "PGlite's WebAssembly heap and buffers" : 'Node, the app and the pg pool'}), so the step's own share is about ${(x.peak_rss_mib - floor).toFixed(0)} MiB${x.name === 'verify_l3' && r.engine === 'pglite' ? ' (level 3 opens a second PGlite instance for the scratch database)' : ''}`);
    }
  }
  return out;
}

const n = (x: number) => x.toLocaleString('en-US');

export function backupTable(r: BackupBenchResult): string {
  const lines: string[] = [];
  const mib = (b: number | null) => (b === null ? '?' : `${(b / 2 ** 20).toFixed(0)} MiB`);
  lines.push(`\n=== backup / ${r.engine} / ${r.scale} — ${n(r.data.transactions)} transaction rows (${n(r.data.rows_in_backup ?? 0)} rows in the backup), database ${mib(r.data.database_bytes)}, archive ${mib(r.data.archive_bytes)} ===`);
  lines.push(`targets: create <= ${r.targets.create_seconds} s, verify L3 <= ${r.targets.verify_l3_seconds} s, restore <= ${r.targets.restore_seconds} s, peak RSS <= ${r.targets.peak_rss_mib} MiB (per step, in its own process)`);
  lines.push('CPU node / CPU pg: CPU seconds of the step\'s process (PGlite runs inside it) and of its PostgreSQL backends; on a busy machine wall time exceeds them');
  const head = `${'step'.padEnd(14)} ${'seconds'.padStart(8)} ${'target'.padStart(7)} ${'CPU node'.padStart(9)} ${'CPU pg'.padStart(7)} ${'RSS MiB'.padStart(8)}  result  slowest phases`;
  lines.push(head, '-'.repeat(head.length + 30));
  for (const s of r.steps) {
    lines.push(`${s.name.padEnd(14)} ${s.seconds.toFixed(1).padStart(8)} ${(s.target_seconds === null ? '-' : String(s.target_seconds)).padStart(7)} ${s.cpu_seconds.node.toFixed(1).padStart(9)} ${(s.cpu_seconds.postgres === null ? '-' : s.cpu_seconds.postgres.toFixed(1)).padStart(7)} ${s.peak_rss_mib.toFixed(0).padStart(8)}  ${(s.pass === null ? '(diag)' : s.pass ? 'PASS' : 'FAIL').padEnd(6)}  ${top(s.phases)}`);
  }
  for (const d of r.diagnosis) lines.push(`MISSED: ${d}`);
  lines.push(`1-min load average at each step: ${r.loadavg_1m.join(', ')} on ${(r.machine as { cpus: number }).cpus} CPUs`);
  return lines.join('\n');
}

export function writeBackupResults(r: BackupBenchResult): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const iso = r.started_at.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const files = [join(RESULTS_DIR, `backup-${r.engine}-${r.scale}-${iso}.json`), join(RESULTS_DIR, `latest-backup-${r.engine}-${r.scale}.json`)];
  const text = `${JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
  for (const f of files) writeFileSync(f, text);
  return files;
}
