// Import benchmark (the `imports` group of `npm run bench`): a 100k-row OFX
// file and a 100k-row CSV file go through the import service (preview with
// duplicate detection, then commit) into the main checking account of a
// ledger that already holds 1,000,000 transactions; then the same files again,
// where every row is a duplicate. Each import runs in a child process
// (bench/import-child.ts) so its peak RSS is measured alone. The parser's own
// share is measured separately (parse-only child). See bench/README.md.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createContainer } from '../src/app/container.ts';
import { loadConfig } from '../src/config/config.ts';
import { createDb, type Db, type Engine } from '../src/db/create-db.ts';
import { migrateUp } from '../src/db/migrator.ts';
import { createLogger } from '../src/ops/logs/logger.ts';
import { ACCOUNTS } from './fixtures.ts';
import { generateCsv, generateOfx } from './import-files.ts';
import type { ChildJob, ChildResult } from './import-child.ts';
import { loadData, type LedgerSpec } from './load.ts';
import { createScratchDatabase, createScratchDataDir, type Cleanup } from './pg-scratch.ts';

const BENCH_DIR = new URL('.', import.meta.url).pathname;
const REPO = join(BENCH_DIR, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');
export const IMPORT_TARGET_ROWS_PER_S = 20_000;
export const IMPORT_TARGET_RSS_MIB = 300;
/** Actual Budget's engine on this machine (../shared/bench/actual-peer/README.md): importTransactions of 5,000 rows into 100k. */
export const PEER = { source: '../shared/bench/actual-peer (README, 2026-11-22, N=100,000 normal/ids)', new_rows_per_s: 88, duplicate_rows_per_s: 81 };

export interface ImportBenchOptions {
  scale: 'full' | 'small';
  /** Transactions in the target ledger before the imports (1,000,000 full / 100,000 small). */
  ledgerRows: number;
  /** Rows per generated file (100,000 full / 10,000 small). */
  fileRows: number;
  adminUrl: string;
  keep: boolean;
  seed: number;
}


interface ScenarioOut {
  name: string;
  file: 'ofx' | 'csv';
  kind: 'parse' | 'new' | 'duplicate';
  rows: number;
  seconds: number;
  rows_per_s: number;
  peak_rss_mib: number;
  vm_hwm_mib: number | null;
  phases: Record<string, number>;
  outcome: ChildResult['outcome'] | null;
  db_ms: number;
  query_shapes: ChildResult['query_shapes'];
  pass: boolean | null;
}

export interface ImportBenchResult {
  group: 'imports';
  engine: Engine;
  scale: ImportBenchOptions['scale'];
  started_at: string;
  finished_at: string;
  ok: boolean;
  command: string;
  options: Record<string, unknown>;
  machine: Record<string, unknown>;
  ledger: { id: string; rows_before: number; target_account: string; target_account_rows_before: number };
  files: Record<string, { rows: number; bytes: number; path: string }>;
  load_seconds: number;
  targets: { rows_per_s: number; peak_rss_mib: number; applies_to: string };
  peer: typeof PEER;
  scenarios: ScenarioOut[];
  rows_after: number | null;
  loadavg_1m: number[];
}

const stamp = () => new Date().toISOString().replace(/[-:.]/g, '').replace(/z$/i, '').toLowerCase();

function machineInfo() {
  const cpus = os.cpus();
  return { cpus: cpus.length, cpu_model: cpus[0]?.model ?? 'unknown', total_memory_gib: Number((os.totalmem() / 2 ** 30).toFixed(1)), node: process.version, platform: `${os.platform()} ${os.release()} ${os.arch()}`, loadavg_at_start: os.loadavg().map((x) => Number(x.toFixed(2))) };
}

/** Files are cached: generating 100k rows takes seconds, and the same (rows, seed, day) gives the same bytes. */
function benchFiles(rows: number, seed: number, endDate: string) {
  const dir = join(REPO, '.tmp/bench-import-files');
  mkdirSync(dir, { recursive: true });
  const out: Record<'ofx' | 'csv', { path: string; rows: number; bytes: number }> = {} as never;
  for (const kind of ['ofx', 'csv'] as const) {
    const path = join(dir, `bench-${rows}-s${seed}-${endDate}.${kind}`);
    if (!existsSync(path)) {
      const g = kind === 'ofx' ? generateOfx({ rows, seed, endDate }) : generateCsv({ rows, seed, endDate });
      writeFileSync(path, g.bytes);
    }
    out[kind] = { path, rows, bytes: readFileSync(path).length };
  }
  return out;
}

function runChild(job: ChildJob, log: (m: string) => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    // BENCH_IMPORT_CPU_PROF=<dir>: a V8 CPU profile of every import child, to see where the JavaScript time goes.
    const prof = process.env.BENCH_IMPORT_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_IMPORT_CPU_PROF}`] : [];
    const child = spawn(process.execPath, [...prof, join(REPO, 'bin/run-ts.js'), join(BENCH_DIR, 'import-child.ts'), JSON.stringify(job)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`import child (${job.mode} ${job.fileName}) exited with ${code}: ${err.slice(-2000)}`));
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as ChildResult);
      } catch {
        reject(new Error(`import child printed no result: ${out.slice(-500)} ${err.slice(-500)}`));
      }
      if (err.trim()) log(`  (child stderr) ${err.trim().slice(0, 500)}`);
    });
  });
}

async function openDb(engine: Engine, opts: ImportBenchOptions, cleanups: Cleanup[], log: (m: string) => void): Promise<{ db: Db; url?: string; dir?: string }> {
  if (engine === 'postgres') {
    const url = await createScratchDatabase(opts.adminUrl, `finhub_bench_imp_${stamp()}`, opts.keep, cleanups, log);
    return { db: await createDb({ databaseUrl: url, poolSize: 10, statementTimeoutMs: 0, applicationName: 'finhub-bench' }), url };
  }
  const dir = createScratchDataDir('finhub-bench-imp-', opts.keep, cleanups, log);
  return { db: await createDb({ dataDir: dir }), dir };
}

export async function runImportBench(engine: Engine, opts: ImportBenchOptions, cleanups: Cleanup[], log: (m: string) => void): Promise<ImportBenchResult> {
  const started = new Date();
  const endDate = started.toISOString().slice(0, 10);
  const result: ImportBenchResult = {
    group: 'imports', engine, scale: opts.scale, started_at: started.toISOString(), finished_at: '', ok: false,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    options: { ledger_rows: opts.ledgerRows, file_rows: opts.fileRows, seed: opts.seed, end_date: endDate, keep: opts.keep },
    machine: machineInfo(),
    ledger: { id: '', rows_before: 0, target_account: ACCOUNTS[0]!.name, target_account_rows_before: 0 },
    files: {}, load_seconds: 0,
    targets: { rows_per_s: IMPORT_TARGET_ROWS_PER_S, peak_rss_mib: IMPORT_TARGET_RSS_MIB, applies_to: 'rows/s: PostgreSQL, new and duplicate imports; peak RSS: every import' },
    peer: PEER, scenarios: [], rows_after: null, loadavg_1m: [],
  };

  const files = benchFiles(opts.fileRows, opts.seed, endDate);
  result.files = files;
  log(`files: OFX ${(files.ofx.bytes / 2 ** 20).toFixed(1)} MiB, CSV ${(files.csv.bytes / 2 ** 20).toFixed(1)} MiB, ${opts.fileRows.toLocaleString('en-US')} rows each`);

  const { db, url, dir } = await openDb(engine, opts, cleanups, log);
  let open = true;
  cleanups.push({ label: 'close database', fn: async () => { if (open) await db.close(); } });
  await migrateUp(db);
  const config = loadConfig({ FINHUB_ENV: 'production', LOG_LEVEL: 'silent', FINHUB_JOBS_WORKER: 'false', FINHUB_SCHEDULER: 'false' });
  const c = await createContainer(config, { db, logger: createLogger(config) });
  const userId = (await c.auth.createUser(null, { email: 'bench-import@example.com', password: 'bench-password-1234', displayName: 'Bench' })).id;
  const spec: LedgerSpec = { id: randomUUID(), ord: 0, name: 'Import Target', rows: opts.ledgerRows, big: true };
  log(`loading one ledger with ${opts.ledgerRows.toLocaleString('en-US')} transactions`);
  const load = await loadData(db.kysely, { userId, ledgers: [spec], indexMode: 'rebuild', log });
  await sql`analyze`.execute(db.kysely);
  result.load_seconds = Number(load.seconds.toFixed(1));
  const acc = await db.kysely.selectFrom('accounts').select('id').where('ledger_id', '=', spec.id).where('name', '=', ACCOUNTS[0]!.name).executeTakeFirstOrThrow();
  const count = async (where?: string) => Number((await sql<{ n: string }>`select count(*)::text as n from transactions where ledger_id = ${spec.id}::uuid ${sql.raw(where ? `and ${where}` : '')}`.execute(db.kysely)).rows[0]!.n);
  result.ledger = { id: spec.id, rows_before: await count(), target_account: ACCOUNTS[0]!.name, target_account_rows_before: await count(`account_id = '${acc.id}'`) };
  log(`ledger holds ${result.ledger.rows_before.toLocaleString('en-US')} transactions, ${result.ledger.target_account_rows_before.toLocaleString('en-US')} of them in ${ACCOUNTS[0]!.name}`);

  // The child opens the database itself; an embedded data directory admits one process at a time.
  if (engine === 'pglite') {
    await db.close();
    open = false;
  }
  const base = { engine, userId, ledgerId: spec.id, accountId: acc.id, ...(url ? { databaseUrl: url } : {}), ...(dir ? { dataDir: dir } : {}) };
  const loads: number[] = [];
  for (const kind of ['ofx', 'csv'] as const) {
    const f = files[kind];
    const fileName = `statement.${kind}`;
    const steps: [ScenarioOut['kind'], ChildJob['mode']][] = [['parse', 'parse'], ['new', 'import'], ['duplicate', 'import']];
    for (const [label, mode] of steps) {
      log(`${kind} ${label}: running`);
      loads.push(os.loadavg()[0]!);
      const r = await runChild({ ...base, mode, file: f.path, fileName }, log);
      const rowsPerS = r.seconds > 0 ? r.rows / r.seconds : 0;
      const gated = label !== 'parse';
      result.scenarios.push({
        name: `${kind}_${label}`, file: kind, kind: label, rows: r.rows, seconds: Number(r.seconds.toFixed(2)), rows_per_s: Math.round(rowsPerS),
        peak_rss_mib: Number(r.peak_rss_mib.toFixed(1)), vm_hwm_mib: r.vm_hwm_mib, phases: r.phases, outcome: r.outcome ?? null, db_ms: r.db_ms, query_shapes: r.query_shapes,
        pass: gated ? (engine === 'postgres' ? rowsPerS >= IMPORT_TARGET_ROWS_PER_S : true) && r.peak_rss_mib <= IMPORT_TARGET_RSS_MIB : null,
      });
      log(`${kind} ${label}: ${r.rows.toLocaleString('en-US')} rows in ${r.seconds.toFixed(2)} s = ${Math.round(rowsPerS).toLocaleString('en-US')} rows/s, peak RSS ${r.peak_rss_mib.toFixed(0)} MiB${r.outcome ? `; ${JSON.stringify(r.outcome.counts)}` : ''}`);
    }
  }
  result.loadavg_1m = loads.map((x) => Number(x.toFixed(2)));
  if (engine === 'pglite') {
    const db2 = await createDb({ dataDir: dir });
    try {
      result.rows_after = Number((await sql<{ n: string }>`select count(*)::text as n from transactions where ledger_id = ${spec.id}::uuid`.execute(db2.kysely)).rows[0]!.n);
    } finally {
      await db2.close();
    }
  } else {
    result.rows_after = await count();
  }
  result.ok = true;
  result.finished_at = new Date().toISOString();
  return result;
}

const n = (x: number) => x.toLocaleString('en-US');

export function importTable(r: ImportBenchResult): string {
  const lines: string[] = [];
  lines.push(`\n=== imports / ${r.engine} / ${r.scale} — ${n(r.options.file_rows as number)}-row files into a ledger of ${n(r.ledger.rows_before)} transactions (${n(r.ledger.target_account_rows_before)} in the target account) ===`);
  lines.push(`target: >= ${n(r.targets.rows_per_s)} rows/s on PostgreSQL (new and duplicate), peak RSS <= ${r.targets.peak_rss_mib} MiB; peer (Actual Budget importTransactions, 5k rows into 100k): ${r.peer.new_rows_per_s} rows/s new, ${r.peer.duplicate_rows_per_s} rows/s duplicates`);
  const head = `${'scenario'.padEnd(16)} ${'rows'.padStart(8)} ${'seconds'.padStart(8)} ${'rows/s'.padStart(8)} ${'RSS MiB'.padStart(8)} ${'new'.padStart(7)} ${'dup'.padStart(7)} ${'other'.padStart(6)}  result`;
  lines.push(head, '-'.repeat(head.length));
  for (const s of r.scenarios) {
    const c = s.outcome?.counts;
    lines.push(`${s.name.padEnd(16)} ${n(s.rows).padStart(8)} ${s.seconds.toFixed(2).padStart(8)} ${n(s.rows_per_s).padStart(8)} ${s.peak_rss_mib.toFixed(0).padStart(8)} ${String(c?.new ?? '').padStart(7)} ${String(c?.duplicate ?? '').padStart(7)} ${String(c ? (c.conflict ?? 0) + (c.skipped ?? 0) : '').padStart(6)}  ${s.pass === null ? '(parser only)' : s.pass ? 'PASS' : 'FAIL'}`);
    if (Object.keys(s.phases).length) lines.push(`${''.padEnd(16)} phases: ${Object.entries(s.phases).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}; database time ${(s.db_ms / 1000).toFixed(2)} s`);
  }
  lines.push(`ledger rows after: ${r.rows_after === null ? '?' : n(r.rows_after)}; 1-min load average during the runs: ${r.loadavg_1m.join(', ')} on ${(r.machine as { cpus: number }).cpus} CPUs`);
  return lines.join('\n');
}

export function writeImportResults(r: ImportBenchResult): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const iso = r.started_at.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const files = [join(RESULTS_DIR, `imports-${r.engine}-${r.scale}-${iso}.json`), join(RESULTS_DIR, `latest-imports-${r.engine}-${r.scale}.json`)];
  const text = `${JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
  for (const f of files) writeFileSync(f, text);
  return files;
}
