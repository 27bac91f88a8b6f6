// finhub read-path benchmark: bulk-loads a realistic data set (1M transactions
// at --scale full), starts the real HTTP server on 127.0.0.1:<random port> and
// measures p50/p95/p99 latency of the hot read endpoints through one keep-alive
// connection, one request at a time. See bench/README.md.
//
//   npm run bench -- --scale small --engine both
//   npm run bench -- --scale full --engine postgres
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { CompiledQuery, sql, type LogEvent } from 'kysely';
import pino from 'pino';
import { createContainer, type Container } from '../src/app/container.ts';
import { loadConfig } from '../src/config/config.ts';
import { createDb, type Db, type Engine } from '../src/db/create-db.ts';
import { migrateUp } from '../src/db/migrator.ts';
import { buildApp } from '../src/http/app.ts';
import { createLogger } from '../src/ops/logs/logger.ts';
import { BenchClient } from './client.ts';
import { importTable, runImportBench, writeImportResults } from './imports.ts';
import { backupTable, runBackupBench, writeBackupResults } from './backup.ts';
import { rulesTable, runRulesBench, writeRulesResults } from './rules.ts';
import { reportsTable, runReportsBench, writeReportsResults } from './reports.ts';
import { ACCOUNTS } from './fixtures.ts';
import { countRows, ledgerComposition, loadData, makeLedgerSpecs, type LoadResult, type RowCounts } from './load.ts';
import { buildScenarios, type BenchIds, type LedgerInfo, type Scenario } from './scenarios.ts';
import { prng, summarize, type Stats } from './stats.ts';
import { createScratchDatabase, type Cleanup } from './pg-scratch.ts';

const BENCH_DIR = new URL('.', import.meta.url).pathname;
const RESULTS_DIR = join(BENCH_DIR, 'results');
const TARGET_MS: Record<Engine, number> = { postgres: 25, pglite: 50 };
const CRITERION = 'p95' as const;

// ---------------------------------------------------------------------------
// Options

interface Options {
  engines: Engine[];
  scale: 'full' | 'small';
  requests: number;
  warmup: number;
  keep: boolean;
  indexMode: 'rebuild' | 'keep';
  vacuum: boolean;
  explain: 'none' | 'failing' | 'all';
  maxMinutes: number;
  logLevel: string;
  adminUrl: string;
  seed: number;
  order: 'interleaved' | 'sequential';
  /** SQL run after the load, before ANALYZE: to try an index or statistics change without touching src/. */
  afterLoad: string | undefined;
  /** Scenario groups to run: the read-path latencies and/or the statement imports (bench/imports.ts). */
  groups: ('reads' | 'imports' | 'backup' | 'rules' | 'reports')[];
  /** reports group: transactions in the reported ledger and in the whole database (bench/reports.ts). */
  reportsRows: number;
  reportsDbRows: number;
  /** rules group: transactions in the ledger the 50 rules run over, and drafts for the import hook (bench/rules.ts). */
  rulesRows: number;
  /** backup group: transactions in the benchmark ledger (bench/backup.ts). */
  backupRows: number;
  importLedgerRows: number;
  importFileRows: number;
}

function usage(msg?: string): never {
  if (msg) console.error(`error: ${msg}\n`);
  console.error(`usage: npm run bench -- [options]
  --engine pglite|postgres|both   (default both; env BENCH_ENGINE)
  --scale full|small              full = 100 x 10k + 1 x 200k transactions; small = 10 x 2k + 1 x 20k (default full; env BENCH_SCALE)
  --requests N                    measured requests per scenario (default 500; env BENCH_REQUESTS)
  --warmup N                      warm-up requests per scenario (default 50)
  --keep                          keep the database (PostgreSQL database / PGlite directory) afterwards
  --load-indexes rebuild|keep     drop+recreate secondary transaction indexes around the load (default rebuild)
  --vacuum                        VACUUM ANALYZE after the load instead of plain ANALYZE
  --explain none|failing|all      EXPLAIN (ANALYZE, BUFFERS) the slowest queries of failing/all scenarios (default failing)
  --max-minutes N                 hard time limit for the whole run (default 120 full / 20 small)
  --log-level LEVEL               server log level; logs go to /dev/null (default info, as in production)
  --seed N                        request-mix seed (default 1)
  --order interleaved|sequential  one request of each scenario in turn (default), or each scenario as a block
  --after-load SQL|@FILE          run this SQL after the load, before ANALYZE (experiment with an index or
                                  statistics without editing src/; recorded in the results)
  --only reads|imports|backup|rules|all scenario groups (default all): read-path latencies, statement imports, backup create/verify/restore,
                                  rules (50 rules: import hook and apply to history)
  --rules-rows N                  rules: transactions in the ledger and drafts for the hook (default 100000 full / 10000 small)
  --only reports                  the seven ledger reports and their query variants (bench/reports.ts)
  --reports-rows N                reports: transactions in the reported ledger (default 200000 full / 20000 small)
  --reports-db-rows N             reports: transactions in the whole database (default 1000000 full / 100000 small)
  --import-ledger-rows N          imports: transactions in the target ledger (default 1000000 full / 100000 small)
  --import-rows N                 imports: rows per generated OFX and CSV file (default 100000 full / 10000 small)
  --backup-rows N                 backup: transactions in the backed-up ledger (default 1000000 full / 100000 small)
PostgreSQL admin URL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); a database
finhub_bench_<timestamp> is created on that server and dropped at the end unless --keep.`);
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        engine: { type: 'string' }, scale: { type: 'string' }, requests: { type: 'string' }, warmup: { type: 'string' },
        keep: { type: 'boolean' }, 'load-indexes': { type: 'string' }, vacuum: { type: 'boolean' }, explain: { type: 'string' },
        'max-minutes': { type: 'string' }, order: { type: 'string' }, 'after-load': { type: 'string' }, 'log-level': { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' },
        only: { type: 'string' }, 'import-ledger-rows': { type: 'string' }, 'import-rows': { type: 'string' }, 'backup-rows': { type: 'string' }, 'rules-rows': { type: 'string' }, 'reports-rows': { type: 'string' }, 'reports-db-rows': { type: 'string' },
      },
      allowPositionals: false,
    }).values;
  } catch (e) {
    usage((e as Error).message);
  }
  if (parsed.help) usage();
  const env = process.env;
  const engine = parsed.engine ?? env.BENCH_ENGINE ?? 'both';
  if (!['pglite', 'postgres', 'both'].includes(engine)) usage(`--engine must be pglite, postgres or both, not ${engine}`);
  const scale = parsed.scale ?? env.BENCH_SCALE ?? 'full';
  if (scale !== 'full' && scale !== 'small') usage(`--scale must be full or small, not ${scale}`);
  const int = (name: string, raw: string | undefined, dflt: number, min: number) => {
    if (raw === undefined) return dflt;
    if (!/^\d+$/.test(raw) || Number(raw) < min) usage(`--${name} must be an integer >= ${min}`);
    return Number(raw);
  };
  const indexMode = parsed['load-indexes'] ?? 'rebuild';
  if (indexMode !== 'rebuild' && indexMode !== 'keep') usage('--load-indexes must be rebuild or keep');
  const explain = parsed.explain ?? 'failing';
  if (explain !== 'none' && explain !== 'failing' && explain !== 'all') usage('--explain must be none, failing or all');
  const order = parsed.order ?? 'interleaved';
  if (order !== 'interleaved' && order !== 'sequential') usage('--order must be interleaved or sequential');
  let afterLoad = parsed['after-load'];
  if (afterLoad?.startsWith('@')) afterLoad = readFileSync(afterLoad.slice(1), 'utf8');
  const only = parsed.only ?? 'all';
  if (only !== 'reads' && only !== 'imports' && only !== 'backup' && only !== 'rules' && only !== 'reports' && only !== 'all') usage('--only must be reads, imports, backup, rules, reports or all');
  return {
    groups: only === 'all' ? ['reads', 'imports', 'backup', 'rules', 'reports'] : [only],
    reportsRows: int('reports-rows', parsed['reports-rows'], scale === 'full' ? 200_000 : 20_000, 1),
    reportsDbRows: int('reports-db-rows', parsed['reports-db-rows'], scale === 'full' ? 1_000_000 : 100_000, 1),
    rulesRows: int('rules-rows', parsed['rules-rows'], scale === 'full' ? 100_000 : 10_000, 1),
    backupRows: int('backup-rows', parsed['backup-rows'], scale === 'full' ? 1_000_000 : 100_000, 1),
    importLedgerRows: int('import-ledger-rows', parsed['import-ledger-rows'], scale === 'full' ? 1_000_000 : 100_000, 1),
    importFileRows: int('import-rows', parsed['import-rows'], scale === 'full' ? 100_000 : 10_000, 1),
    afterLoad: afterLoad?.trim() || undefined,
    order,
    engines: engine === 'both' ? ['postgres', 'pglite'] : [engine as Engine],
    scale,
    requests: int('requests', parsed.requests ?? env.BENCH_REQUESTS, 500, 1),
    warmup: int('warmup', parsed.warmup, 50, 0),
    keep: parsed.keep ?? ['1', 'true', 'yes'].includes(env.BENCH_KEEP ?? ''),
    indexMode,
    vacuum: parsed.vacuum ?? false,
    explain,
    maxMinutes: int('max-minutes', parsed['max-minutes'], scale === 'full' ? 120 : 20, 1),
    logLevel: parsed['log-level'] ?? 'info',
    adminUrl: env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
    seed: int('seed', parsed.seed, 1, 0),
  };
}

// ---------------------------------------------------------------------------
// Query capture: the client sends one request at a time, so every query the
// database reports between "begin" and "end" belongs to that request.

interface CapturedQuery {
  sql: string;
  params: readonly unknown[];
  ms: number;
  error: boolean;
}

class QueryCapture {
  active: CapturedQuery[] | null = null;
  metrics: Container['metrics'] | undefined;
  readonly onQuery = (e: LogEvent) => {
    // The same observation the container makes when it opens the database itself.
    this.metrics?.dbQueryDuration.observe({ outcome: e.level === 'error' ? 'error' : 'ok' }, e.queryDurationMillis / 1000);
    this.active?.push({ sql: e.query.sql, params: e.query.parameters, ms: e.queryDurationMillis, error: e.level === 'error' });
  };
}

// ---------------------------------------------------------------------------
// Measurement

interface Sample {
  path: string;
  ms: number;
  tag: string | undefined;
  queries: CapturedQuery[];
}

interface QueryShape {
  sql: string;
  calls: number;
  mean_ms: number;
  p95_ms: number;
  total_ms: number;
}

interface ExplainOut {
  label: string;
  request: string;
  request_ms: number;
  query_ms: number;
  sql: string;
  params: unknown[];
  plan: string;
}

interface ScenarioResult {
  name: string;
  description: string;
  stats: Stats;
  db_ms: Stats;
  target_ms: number;
  pass: boolean;
  errors: number;
  error_samples: string[];
  breakdown: Record<string, Stats>;
  query_shapes: QueryShape[];
  slowest: { path: string; ms: number; queries: { sql: string; params: unknown[]; ms: number }[] } | null;
  explain: ExplainOut[];
  truncated: boolean;
  seconds: number;
}

const jsonSafe = (v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.toISOString() : v);

/** Per-scenario state while requests are being made. */
class ScenarioRun {
  readonly samples: Sample[] = [];
  errors = 0;
  readonly errorSamples: string[] = [];
  busyMs = 0;

  constructor(readonly sc: Scenario) {}

  async one(client: BenchClient, capture: QueryCapture, measure: boolean): Promise<void> {
    const step = this.sc.next();
    const queries: CapturedQuery[] = [];
    if (measure) capture.active = queries;
    const t = performance.now();
    let res;
    try {
      res = await client.get(step.path);
    } finally {
      capture.active = null;
      this.busyMs += performance.now() - t;
    }
    this.sc.after?.(res.status === 200 ? JSON.parse(res.body) : { next_cursor: null });
    if (!measure) {
      if (res.status !== 200) throw new Error(`${this.sc.name}: warm-up request failed with ${res.status}: ${step.path}\n${res.body.slice(0, 500)}`);
      return;
    }
    if (res.status !== 200) {
      this.errors++;
      if (this.errorSamples.length < 5) this.errorSamples.push(`${res.status} ${step.path} ${res.body.slice(0, 300)}`);
    }
    this.samples.push({ path: step.path, ms: res.ms, tag: step.tag, queries });
  }

  result(target: number, truncated: boolean): ScenarioResult {
    const samples = this.samples;
    const ok = samples.filter((s) => !s.queries.some((q) => q.error));
    const stats = summarize(samples.map((s) => s.ms));
    const breakdown: Record<string, Stats> = {};
    for (const tag of new Set(samples.map((s) => s.tag).filter((t): t is string => t !== undefined))) {
      breakdown[tag] = summarize(samples.filter((s) => s.tag === tag).map((s) => s.ms));
    }
    const shapes = new Map<string, number[]>();
    for (const s of ok) for (const q of s.queries) shapes.set(q.sql, [...(shapes.get(q.sql) ?? []), q.ms]);
    const queryShapes = [...shapes]
      .map(([text, ms]) => {
        const st = summarize(ms);
        return { sql: text, calls: ms.length, mean_ms: st.mean, p95_ms: st.p95, total_ms: Number(ms.reduce((a, b) => a + b, 0).toFixed(1)) };
      })
      .sort((a, b) => b.total_ms - a.total_ms)
      .slice(0, 8);
    const slowest = samples.reduce<Sample | undefined>((m, s) => (!m || s.ms > m.ms ? s : m), undefined);
    return {
      name: this.sc.name,
      description: this.sc.description,
      stats,
      db_ms: summarize(samples.map((s) => s.queries.reduce((a, q) => a + q.ms, 0))),
      target_ms: target,
      pass: this.errors === 0 && !truncated && samples.length > 0 && stats[CRITERION] <= target,
      errors: this.errors,
      error_samples: this.errorSamples,
      breakdown,
      query_shapes: queryShapes,
      slowest: slowest ? { path: slowest.path, ms: Number(slowest.ms.toFixed(3)), queries: slowest.queries.map((q) => ({ sql: q.sql, params: q.params.map(jsonSafe), ms: Number(q.ms.toFixed(3)) })) } : null,
      explain: [],
      truncated,
      seconds: Number((this.busyMs / 1000).toFixed(1)),
    };
  }
}

/**
 * Runs every scenario: warm-up first, then the measured requests. Interleaved
 * (default) takes one request of each scenario in turn, so background load on
 * the machine spreads evenly over the scenarios instead of hitting one of them.
 */
async function runScenarios(runs: ScenarioRun[], client: BenchClient, capture: QueryCapture, opts: Options, deadlineAt: number, log: (m: string) => void): Promise<boolean> {
  const stopAt = deadlineAt - 120_000; // leave time for EXPLAIN, results and cleanup
  let truncated = false;
  if (opts.order === 'interleaved') {
    for (let i = 0; i < opts.warmup; i++) for (const r of runs) await r.one(client, capture, false);
    let lastLog = performance.now();
    for (let i = 0; i < opts.requests && !truncated; i++) {
      for (const r of runs) await r.one(client, capture, true);
      if (performance.now() > stopAt) truncated = true;
      if (performance.now() - lastLog > 15_000) {
        lastLog = performance.now();
        log(`  ${i + 1}/${opts.requests} rounds of ${runs.length} scenarios`);
      }
    }
  } else {
    for (const r of runs) {
      for (let i = 0; i < opts.warmup; i++) await r.one(client, capture, false);
      for (let i = 0; i < opts.requests && !truncated; i++) {
        await r.one(client, capture, true);
        if (performance.now() > stopAt) truncated = true;
      }
    }
  }
  if (truncated) log('time limit: measurement stopped early (results marked truncated)');
  return truncated;
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of: the slowest instance of the query shape with
 * the most total time in the scenario, and the heaviest query of the slowest
 * request (which on a busy machine may be a victim of noise, not the cause).
 */
async function explainScenario(db: Db, samples: Sample[]): Promise<ExplainOut[]> {
  const picks: { label: string; s: Sample; q: CapturedQuery }[] = [];
  const total = new Map<string, number>();
  for (const s of samples) for (const q of s.queries) total.set(q.sql, (total.get(q.sql) ?? 0) + q.ms);
  const dominant = [...total].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (dominant !== undefined) {
    let best: { s: Sample; q: CapturedQuery } | undefined;
    for (const s of samples) for (const q of s.queries) if (q.sql === dominant && (!best || q.ms > best.q.ms)) best = { s, q };
    if (best) picks.push({ label: 'dominant query shape, slowest instance', ...best });
  }
  const slowest = samples.reduce<Sample | undefined>((m, s) => (!m || s.ms > m.ms ? s : m), undefined);
  if (slowest && slowest.queries.length > 0) picks.push({ label: 'heaviest query of the slowest request', s: slowest, q: slowest.queries.reduce((m, x) => (x.ms > m.ms ? x : m)) });

  const out: ExplainOut[] = [];
  const seen = new Set<string>();
  for (const { label, s, q } of picks) {
    const key = q.sql + JSON.stringify(q.params, (_k, v) => jsonSafe(v));
    if (seen.has(key)) continue;
    seen.add(key);
    let plan: string;
    try {
      const r = await db.kysely.executeQuery<Record<string, string>>(CompiledQuery.raw(`explain (analyze, buffers) ${q.sql}`, [...q.params]));
      plan = r.rows.map((row) => Object.values(row)[0]).join('\n');
    } catch (e) {
      plan = `EXPLAIN failed: ${(e as Error).message}`;
    }
    out.push({ label, request: s.path, request_ms: Number(s.ms.toFixed(3)), query_ms: Number(q.ms.toFixed(3)), sql: q.sql, params: q.params.map(jsonSafe), plan });
  }
  return out;
}

// ---------------------------------------------------------------------------
// One engine, start to finish

interface EngineResult {
  engine: Engine;
  scale: Options['scale'];
  started_at: string;
  finished_at: string;
  ok: boolean;
  error?: string;
  command: string;
  options: Record<string, unknown>;
  machine: Record<string, unknown>;
  database: Record<string, unknown>;
  ledgers: { big: { id: string; rows: number }; small: { count: number; rows_each: number } };
  row_counts: RowCounts | null;
  load: (LoadResult & { migrate_seconds: number; analyze_seconds: number; vacuum: boolean }) | null;
  target_ms: number;
  criterion: string;
  measurement: { seconds: number; order: string; loadavg_1m: { min: number; mean: number; max: number; cpus: number }; busy_machine: boolean; machine_cpu_busy_pct: number | null; bench_process_cpu_pct: number } | null;
  scenarios: ScenarioResult[];
  summary: { passed: number; failed: number; all_passed: boolean };
}

/** Machine-wide CPU jiffies from /proc/stat (Linux); undefined elsewhere. */
function procStat(): { busy: number; total: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpu_model: cpus[0]?.model ?? 'unknown',
    total_memory_gib: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadavg_at_start: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

async function databaseInfo(db: Db) {
  const k = db.kysely;
  const one = async (q: string) => Object.values((await sql.raw<Record<string, unknown>>(q).execute(k)).rows[0] ?? {})[0];
  const settings: Record<string, unknown> = {};
  for (const s of ['shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'max_parallel_workers_per_gather', 'jit']) {
    try {
      settings[s] = await one(`show ${s}`);
    } catch {
      settings[s] = null;
    }
  }
  const sizes = await sql<{ name: string; bytes: string | bigint }>`
    select c.relname as name, pg_total_relation_size(c.oid) as bytes from pg_class c
     where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'i') and (c.relname like 'transactions%' or c.relname in ('accounts', 'payees', 'categories'))
     order by pg_total_relation_size(c.oid) desc`.execute(k);
  const mb = (b: unknown) => Number((Number(b) / 2 ** 20).toFixed(1));
  return {
    engine: db.engine,
    version: await one('select version()'),
    settings,
    database_size_mib: mb(await one('select pg_database_size(current_database())')),
    relation_sizes_mib: Object.fromEntries(sizes.rows.map((r) => [r.name, mb(r.bytes)])),
  };
}

async function fetchIds(db: Db, bigId: string): Promise<BenchIds> {
  const accs = await db.kysely.selectFrom('accounts').select(['ledger_id', 'id', 'name']).execute();
  const cats = await db.kysely.selectFrom('categories').select(['ledger_id', 'id']).orderBy('ledger_id').orderBy('name').execute();
  const byLedger = new Map<string, LedgerInfo>();
  const get = (id: string) => {
    let l = byLedger.get(id);
    if (!l) byLedger.set(id, (l = { id, accounts: [], categories: [] }));
    return l;
  };
  for (const a of accs) get(a.ledger_id).accounts[ACCOUNTS.findIndex((f) => f.name === a.name)] = a.id;
  for (const c of cats) get(c.ledger_id).categories.push(c.id);
  const big = byLedger.get(bigId);
  if (!big) throw new Error('big ledger missing after load');
  return { big, small: [...byLedger.values()].filter((l) => l.id !== bigId).sort((a, b) => a.id.localeCompare(b.id)) };
}

/** 20261123t182454123: UTC to the millisecond, so two runs never pick the same database name. */
const stamp = () => new Date().toISOString().replace(/[-:.]/g, '').replace(/z$/i, '').toLowerCase();


async function benchEngine(engine: Engine, opts: Options, cleanups: Cleanup[], deadlineAt: number, log: (m: string) => void): Promise<EngineResult> {
  const startedAt = new Date();
  const target = TARGET_MS[engine];
  const specs = makeLedgerSpecs(opts.scale);
  const big = specs[0]!;
  const result: EngineResult = {
    engine, scale: opts.scale, started_at: startedAt.toISOString(), finished_at: '', ok: false,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    options: { scale: opts.scale, requests: opts.requests, warmup: opts.warmup, keep: opts.keep, load_indexes: opts.indexMode, vacuum: opts.vacuum, explain: opts.explain, max_minutes: opts.maxMinutes, server_log_level: opts.logLevel, seed: opts.seed, order: opts.order, after_load: opts.afterLoad ?? null },
    machine: machineInfo(), database: {},
    ledgers: { big: { id: big.id, rows: big.rows }, small: { count: specs.length - 1, rows_each: specs[1]?.rows ?? 0 } },
    row_counts: null, load: null, target_ms: target, criterion: `${CRITERION} <= target`, measurement: null, scenarios: [], summary: { passed: 0, failed: 0, all_passed: false },
  };
  const capture = new QueryCapture();

  // --- database -----------------------------------------------------------
  let db: Db;
  if (engine === 'postgres') {
    const name = `finhub_bench_${stamp()}`;
    const url = new URL(await createScratchDatabase(opts.adminUrl, name, opts.keep, cleanups, log));
    db = await createDb({ databaseUrl: url.toString(), poolSize: 10, statementTimeoutMs: 0, onQuery: capture.onQuery, applicationName: 'finhub-bench' });
    result.options.database = name;
    result.options.admin_url = opts.adminUrl.replace(/\/\/[^@/]*@/, '//***@');
  } else {
    const dir = mkdtempSync(join(os.tmpdir(), 'finhub-bench-pglite-'));
    log(`PGlite data directory ${dir}`);
    cleanups.push({
      label: `remove ${dir}`,
      fn: async () => {
        if (opts.keep) {
          log(`kept PGlite data directory: ${dir}`);
          return;
        }
        rmSync(dir, { recursive: true, force: true });
        log(`removed ${dir}`);
      },
    });
    db = await createDb({ dataDir: dir, onQuery: capture.onQuery });
    result.options.data_dir = dir;
  }
  cleanups.push({ label: 'close database', fn: () => db.close() });

  let t = performance.now();
  await migrateUp(db);
  const migrateSeconds = (performance.now() - t) / 1000;

  // --- container, user, token ----------------------------------------------
  const config = loadConfig({
    FINHUB_ENV: 'production', LOG_LEVEL: opts.logLevel, FINHUB_JOBS_WORKER: 'false', FINHUB_SCHEDULER: 'false',
  });
  const logger = createLogger(config, pino.destination({ dest: '/dev/null', sync: false }));
  const c = await createContainer(config, { db, logger });
  capture.metrics = c.metrics;
  const user = await c.auth.createUser(null, { email: 'bench@example.com', password: 'bench-password-1234', displayName: 'Bench', isAdmin: true });
  const { token } = await c.auth.createToken({ userId: user.id, isAdmin: true, via: 'cli' }, { name: 'bench' });

  // --- load -----------------------------------------------------------------
  const comp = (n: number) => ledgerComposition(n);
  const plannedTop = specs.reduce((n, s) => n + s.rows, 0);
  const plannedParts = specs.reduce((n, s) => n + comp(s.rows).splitParts, 0);
  log(`loading ${specs.length} ledgers: ${plannedTop.toLocaleString('en-US')} top-level transactions + ${plannedParts.toLocaleString('en-US')} split parts (index mode: ${opts.indexMode})`);
  const load = await loadData(db.kysely, { userId: user.id, ledgers: specs, indexMode: opts.indexMode, log });
  log(`loaded in ${load.seconds.toFixed(1)} s (${Object.entries(load.phases).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')})`);
  if (opts.afterLoad) {
    t = performance.now();
    log(`running --after-load SQL: ${stripSqlComments(opts.afterLoad).slice(0, 200)}`);
    await sql.raw(opts.afterLoad).execute(db.kysely);
    log(`--after-load SQL done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  t = performance.now();
  await sql.raw(opts.vacuum ? 'vacuum analyze' : 'analyze').execute(db.kysely);
  const analyzeSeconds = (performance.now() - t) / 1000;
  log(`${opts.vacuum ? 'VACUUM ANALYZE' : 'ANALYZE'} in ${analyzeSeconds.toFixed(1)} s`);
  result.load = { ...load, seconds: Number(load.seconds.toFixed(1)), phases: Object.fromEntries(Object.entries(load.phases).map(([k, v]) => [k, Number(v.toFixed(1))])), migrate_seconds: Number(migrateSeconds.toFixed(2)), analyze_seconds: Number(analyzeSeconds.toFixed(1)), vacuum: opts.vacuum };
  result.row_counts = await countRows(db.kysely, big.id);
  log(`rows: ${JSON.stringify(result.row_counts)}`);
  result.database = await databaseInfo(db);
  const ids = await fetchIds(db, big.id);

  // --- server ---------------------------------------------------------------
  const app = await buildApp(c);
  cleanups.push({ label: 'close HTTP server', fn: () => app.close() });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('server has no TCP address');
  log(`server listening on 127.0.0.1:${addr.port}`);
  const client = new BenchClient(addr.port, token);
  cleanups.push({ label: 'close client', fn: async () => client.close() });

  const probe = await client.get(`/api/v1/ledgers/${big.id}/transactions?limit=50`);
  const probeItems = probe.status === 200 ? (JSON.parse(probe.body) as { items: unknown[] }).items.length : -1;
  if (probe.status !== 200 || probeItems !== 50) throw new Error(`sanity check failed: ${probe.status} items=${probeItems} ${probe.body.slice(0, 300)}`);

  // --- scenarios --------------------------------------------------------------
  const scenarios = buildScenarios(ids, prng(opts.seed));
  const runs = scenarios.map((sc) => new ScenarioRun(sc));
  log(`measuring ${scenarios.length} scenarios x ${opts.requests} requests (+${opts.warmup} warm-up), ${opts.order}`);
  const loadSamples: number[] = [os.loadavg()[0]!];
  const loadTimer = setInterval(() => loadSamples.push(os.loadavg()[0]!), 5_000);
  const measureStart = performance.now();
  const cpu0 = { proc: process.cpuUsage(), sys: procStat() };
  let truncated: boolean;
  try {
    truncated = await runScenarios(runs, client, capture, opts, deadlineAt, log);
  } finally {
    clearInterval(loadTimer);
  }
  loadSamples.push(os.loadavg()[0]!);
  const cpus = os.cpus().length;
  const wallUs = (performance.now() - measureStart) * 1000;
  const procUs = (() => {
    const u = process.cpuUsage(cpu0.proc);
    return u.user + u.system;
  })();
  const sys1 = procStat();
  const machineBusyPct = cpu0.sys && sys1 ? Number(((100 * (sys1.busy - cpu0.sys.busy)) / (sys1.total - cpu0.sys.total)).toFixed(1)) : null;
  result.measurement = {
    seconds: Number(((performance.now() - measureStart) / 1000).toFixed(1)),
    order: opts.order,
    loadavg_1m: { min: Math.min(...loadSamples), mean: Number((loadSamples.reduce((a, b) => a + b, 0) / loadSamples.length).toFixed(2)), max: Math.max(...loadSamples), cpus },
    busy_machine: loadSamples.reduce((a, b) => a + b, 0) / loadSamples.length > cpus,
    // Share of all CPUs busy machine-wide, and the benchmark process's own share (server + client; a
    // PostgreSQL backend adds at most about one more CPU's worth, sequential requests never overlap).
    machine_cpu_busy_pct: machineBusyPct,
    bench_process_cpu_pct: Number(((100 * procUs) / wallUs / cpus).toFixed(1)),
  };
  if (result.measurement.busy_machine) log(`warning: 1-minute load average averaged ${result.measurement.loadavg_1m.mean} on ${cpus} CPUs during the measurement; other processes competed for CPU and latencies are inflated`);
  const samplesByName = new Map<string, Sample[]>();
  for (const r of runs) {
    samplesByName.set(r.sc.name, r.samples);
    result.scenarios.push(r.result(target, truncated));
  }
  if (client.socketsUsed !== 1) log(`warning: the client used ${client.socketsUsed} connections (keep-alive broke somewhere)`);

  if (opts.explain !== 'none') {
    for (const r of result.scenarios) {
      if (opts.explain === 'failing' && r.pass) continue;
      r.explain = await explainScenario(db, samplesByName.get(r.name) ?? []);
    }
  }
  if (engine === 'postgres') {
    const av = await sql<{ relname: string; last_autovacuum: Date | null; last_autoanalyze: Date | null }>`
      select relname, last_autovacuum, last_autoanalyze from pg_stat_user_tables where relname = 'transactions'`.execute(db.kysely);
    (result.database as Record<string, unknown>).autovacuum_transactions = av.rows.map((x) => ({ last_autovacuum: x.last_autovacuum, last_autoanalyze: x.last_autoanalyze }))[0] ?? null;
  }

  const passed = result.scenarios.filter((s) => s.pass).length;
  result.summary = { passed, failed: result.scenarios.length - passed, all_passed: passed === scenarios.length };
  result.ok = true;
  result.finished_at = new Date().toISOString();
  return result;
}

// ---------------------------------------------------------------------------
// Output

const stripSqlComments = (text: string) => text.replace(/--[^\n]*/g, ' ').replace(/\s+/g, ' ').trim();

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2).padStart(7) : '    n/a');

function table(r: EngineResult): string {
  const lines: string[] = [];
  const head = `${'scenario'.padEnd(28)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'p99'.padStart(7)} ${'mean'.padStart(7)} ${'max'.padStart(8)} ${'n'.padStart(5)} ${'target'.padStart(6)}  result`;
  lines.push(`\n=== ${r.engine} / ${r.scale} — latency in ms through HTTP (one keep-alive connection, one request at a time, ${r.measurement?.order ?? ''}); pass = ${r.criterion} ===`);
  if (r.measurement) lines.push(`measured for ${r.measurement.seconds} s; 1-min load average ${r.measurement.loadavg_1m.min}-${r.measurement.loadavg_1m.max} (mean ${r.measurement.loadavg_1m.mean}) on ${r.measurement.loadavg_1m.cpus} CPUs; CPU busy machine-wide ${r.measurement.machine_cpu_busy_pct}%, this process ${r.measurement.bench_process_cpu_pct}%${r.measurement.busy_machine ? ' — BUSY MACHINE: other processes competed for CPU, latencies are inflated' : ''}`);
  if (r.options.after_load) lines.push(`EXPERIMENT: schema changed after the load with: ${stripSqlComments(String(r.options.after_load)).slice(0, 300)}`);
  if (r.row_counts) lines.push(`rows: ${r.row_counts.transactions.toLocaleString('en-US')} transactions (${r.row_counts.topLevel.toLocaleString('en-US')} top-level) in ${r.row_counts.ledgers} ledgers; load ${r.load?.seconds} s + ${r.load?.vacuum ? 'vacuum analyze' : 'analyze'} ${r.load?.analyze_seconds} s`);
  lines.push(head, '-'.repeat(head.length));
  for (const s of r.scenarios) {
    const st = s.stats;
    const res = `${s.pass ? 'PASS' : 'FAIL'}${s.errors ? ` (${s.errors} err)` : ''}${s.truncated ? ' (trunc)' : ''}`;
    lines.push(`${s.name.padEnd(28)} ${fmt(st.p50)} ${fmt(st.p95)} ${fmt(st.p99)} ${fmt(st.mean)} ${fmt(st.max).padStart(8)} ${String(st.n).padStart(5)} ${String(s.target_ms).padStart(6)}  ${res}`);
    const tags = Object.keys(s.breakdown);
    const show = s.name.startsWith('search_') ? tags : tags.filter((t) => t === 'p20');
    for (const tag of show) {
      const b = s.breakdown[tag]!;
      lines.push(`${`  ${s.name.startsWith('account_') ? 'page ' + tag.slice(1) + ' only' : tag}`.padEnd(28)} ${fmt(b.p50)} ${fmt(b.p95)} ${fmt(b.p99)} ${fmt(b.mean)} ${fmt(b.max).padStart(8)} ${String(b.n).padStart(5)} ${String(s.target_ms).padStart(6)}  ${b[CRITERION] <= s.target_ms ? 'pass' : 'fail'}`);
    }
  }
  lines.push(`${r.summary.passed}/${r.scenarios.length} scenarios pass`);
  return lines.join('\n');
}

function writeResults(r: EngineResult): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const iso = r.started_at.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  // A run with --after-load measured a changed schema: it never replaces the baseline "latest" file.
  const kind = r.options.after_load ? `${r.scale}-experiment` : r.scale;
  const files = [join(RESULTS_DIR, `${r.engine}-${kind}-${iso}.json`), join(RESULTS_DIR, `latest-${r.engine}-${kind}.json`)];
  const text = JSON.stringify(r, (_k, v) => jsonSafe(v), 2) + '\n';
  for (const f of files) writeFileSync(f, text);
  return files;
}

// ---------------------------------------------------------------------------

async function runCleanups(cleanups: Cleanup[], log: (m: string) => void) {
  while (cleanups.length > 0) {
    const c = cleanups.pop()!;
    try {
      await Promise.race([c.fn(), new Promise((_, rej) => setTimeout(() => rej(new Error('timed out')), 60_000).unref())]);
    } catch (e) {
      log(`cleanup "${c.label}" failed: ${(e as Error).message}`);
    }
  }
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  const t0 = performance.now();
  const log = (m: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(7)} s] ${m}`);
  const deadlineAt = t0 + opts.maxMinutes * 60_000;
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  log(`finhub ${pkg.version} benchmark: groups=${opts.groups.join(',')} engines=${opts.engines.join(',')} scale=${opts.scale} requests=${opts.requests}+${opts.warmup} warm-up, limit ${opts.maxMinutes} min`);

  let cleanups: Cleanup[] = [];
  let stopping = false;
  const abort = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`${why}; cleaning up`);
    await runCleanups(cleanups, log);
    process.exit(code);
  };
  const timer = setTimeout(() => void abort(`time limit of ${opts.maxMinutes} min reached`, 3), opts.maxMinutes * 60_000);
  timer.unref();
  process.on('SIGINT', () => void abort('interrupted', 130));
  process.on('SIGTERM', () => void abort('terminated', 143));

  const results: EngineResult[] = [];
  let failed = false;
  for (const engine of opts.engines) {
    if (opts.groups.includes('imports')) {
      cleanups = [];
      log(`--- ${engine}: imports ---`);
      try {
        const r = await runImportBench(engine, { scale: opts.scale, ledgerRows: opts.importLedgerRows, fileRows: opts.importFileRows, adminUrl: opts.adminUrl, keep: opts.keep, seed: opts.seed }, cleanups, log);
        const files = writeImportResults(r);
        console.log(importTable(r));
        console.log(`\nwrote ${files.map((f) => relative(process.cwd(), f)).join(' and ')}`);
      } catch (e) {
        failed = true;
        log(`${engine} imports failed: ${(e as Error).stack ?? e}`);
      } finally {
        await runCleanups(cleanups, log);
      }
    }
    if (opts.groups.includes('backup')) {
      cleanups = [];
      log(`--- ${engine}: backup ---`);
      try {
        const r = await runBackupBench(engine, { scale: opts.scale, rows: opts.backupRows, adminUrl: opts.adminUrl, keep: opts.keep }, cleanups, log);
        const files = writeBackupResults(r);
        console.log(backupTable(r));
        console.log(`\nwrote ${files.map((f) => relative(process.cwd(), f)).join(' and ')}`);
      } catch (e) {
        failed = true;
        log(`${engine} backup failed: ${(e as Error).stack ?? e}`);
      } finally {
        await runCleanups(cleanups, log);
      }
    }
    if (opts.groups.includes('rules')) {
      cleanups = [];
      log(`--- ${engine}: rules ---`);
      try {
        const r = await runRulesBench(engine, { scale: opts.scale, rows: opts.rulesRows, adminUrl: opts.adminUrl, keep: opts.keep }, cleanups, log);
        const files = writeRulesResults(r);
        console.log(rulesTable(r));
        console.log(`\nwrote ${files.map((f) => relative(process.cwd(), f)).join(' and ')}`);
      } catch (e) {
        failed = true;
        log(`${engine} rules failed: ${(e as Error).stack ?? e}`);
      } finally {
        await runCleanups(cleanups, log);
      }
    }
    if (opts.groups.includes('reports')) {
      cleanups = [];
      log(`--- ${engine}: reports ---`);
      try {
        const r = await runReportsBench(engine, { scale: opts.scale, ledgerRows: opts.reportsRows, dbRows: Math.max(opts.reportsDbRows, opts.reportsRows), requests: opts.requests, warmup: opts.warmup, adminUrl: opts.adminUrl, keep: opts.keep, seed: opts.seed }, cleanups, log);
        const files = writeReportsResults(r);
        console.log(reportsTable(r));
        console.log(`\nwrote ${files.map((f) => relative(process.cwd(), f)).join(' and ')}`);
      } catch (e) {
        failed = true;
        log(`${engine} reports failed: ${(e as Error).stack ?? e}`);
      } finally {
        await runCleanups(cleanups, log);
      }
    }
    if (!opts.groups.includes('reads')) continue;
    cleanups = [];
    log(`--- ${engine} ---`);
    let r: EngineResult | undefined;
    try {
      r = await benchEngine(engine, opts, cleanups, deadlineAt, log);
    } catch (e) {
      failed = true;
      log(`${engine} failed: ${(e as Error).stack ?? e}`);
    } finally {
      await runCleanups(cleanups, log);
    }
    if (r) {
      results.push(r);
      const files = writeResults(r);
      console.log(table(r));
      for (const s of r.scenarios) {
        for (const x of s.explain) {
          console.log(`\n--- EXPLAIN ${s.name} (${x.label}: request ${x.request_ms} ms, query ${x.query_ms} ms)\n${x.sql}\nparams: ${JSON.stringify(x.params)}\n${x.plan}`);
        }
      }
      console.log(`\nwrote ${files.map((f) => relative(process.cwd(), f)).join(' and ')}`);
    }
  }
  clearTimeout(timer);
  log(`done in ${((performance.now() - t0) / 60_000).toFixed(1)} min`);
  process.exit(failed ? 1 : 0);
}

await main();
