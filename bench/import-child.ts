// One measured import, in a process of its own so that its peak RSS is the
// import's and nothing else's. Started by bench/imports.ts:
//
//   node bin/run-ts.js bench/import-child.ts '<json job>'
//
// Modes: `parse` (parseStatement only: the parser's share), `import` (preview
// + commit through the import service, as the API and CLI do). Prints one JSON
// line (ChildResult) on stdout; anything else goes to stderr.
import { readFileSync } from 'node:fs';
import type { LogEvent } from 'kysely';
import pino from 'pino';
import { createContainer } from '../src/app/container.ts';
import { loadConfig } from '../src/config/config.ts';
import { createDb } from '../src/db/create-db.ts';
import { parseStatement } from '../src/imports/parse.ts';
import { createLogger } from '../src/ops/logs/logger.ts';
import { runFlowImport, type FlowOutcome } from './import-flow-adapter.ts';

export interface ChildJob {
  mode: 'parse' | 'import';
  engine: 'postgres' | 'pglite';
  databaseUrl?: string;
  dataDir?: string;
  userId: string;
  ledgerId: string;
  accountId: string;
  file: string;
  fileName: string;
}

export interface QueryShapeStat {
  sql: string;
  calls: number;
  total_ms: number;
}

export interface ChildResult {
  mode: ChildJob['mode'];
  rows: number;
  seconds: number;
  /** Time inside the flow's preview and commit calls (import mode). */
  phases: Record<string, number>;
  outcome?: FlowOutcome;
  /** Peak resident set size of this process, MiB (getrusage maxrss and /proc VmHWM). */
  peak_rss_mib: number;
  vm_hwm_mib: number | null;
  db_ms: number;
  query_shapes: QueryShapeStat[];
}

const job = JSON.parse(process.argv[2] ?? '{}') as ChildJob;

function vmHwmMib(): number | null {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number((Number(m[1]) / 1024).toFixed(1)) : null;
  } catch {
    return null;
  }
}

const shapes = new Map<string, { calls: number; ms: number }>();
let dbMs = 0;
const onQuery = (e: LogEvent) => {
  dbMs += e.queryDurationMillis;
  // Group by statement text; long VALUES lists make each batch size its own shape, so cut them.
  const key = e.query.sql.replace(/\(\$\d+(, \$\d+)*\)(, \(\$\d+(, \$\d+)*\))+/g, '(…)…').replace(/\$\d+/g, '?').slice(0, 300);
  const s = shapes.get(key) ?? { calls: 0, ms: 0 };
  s.calls++;
  s.ms += e.queryDurationMillis;
  shapes.set(key, s);
};

async function main(): Promise<ChildResult> {
  const bytes = new Uint8Array(readFileSync(job.file));
  if (job.mode === 'parse') {
    const t = performance.now();
    const s = await parseStatement(bytes, { fileName: job.fileName, currency: 'USD' });
    return { mode: 'parse', rows: s.transactions.length, seconds: (performance.now() - t) / 1000, phases: {}, peak_rss_mib: process.resourceUsage().maxRSS / 1024, vm_hwm_mib: vmHwmMib(), db_ms: 0, query_shapes: [] };
  }
  const db = await createDb(job.engine === 'postgres' ? { databaseUrl: job.databaseUrl, poolSize: 10, statementTimeoutMs: 0, onQuery, applicationName: 'finhub-bench-import' } : { dataDir: job.dataDir, onQuery });
  try {
    const config = loadConfig({ FINHUB_ENV: 'production', LOG_LEVEL: 'warn', FINHUB_JOBS_WORKER: 'false', FINHUB_SCHEDULER: 'false' });
    const c = await createContainer(config, { db, logger: createLogger(config, pino.destination({ dest: '/dev/null', sync: true })) });
    const actor = { userId: job.userId, isAdmin: false, via: 'cli' as const };
    dbMs = 0;
    shapes.clear();
    const t = performance.now();
    const { outcome, phases } = await runFlowImport(c, actor, { ledgerId: job.ledgerId, accountId: job.accountId, bytes, fileName: job.fileName });
    const seconds = (performance.now() - t) / 1000;
    const query_shapes = [...shapes].map(([sql, s]) => ({ sql, calls: s.calls, total_ms: Number(s.ms.toFixed(1)) })).sort((a, b) => b.total_ms - a.total_ms).slice(0, 12);
    return { mode: 'import', rows: outcome.rows, seconds, phases, outcome, peak_rss_mib: process.resourceUsage().maxRSS / 1024, vm_hwm_mib: vmHwmMib(), db_ms: Number(dbMs.toFixed(1)), query_shapes };
  } finally {
    await db.close();
  }
}

try {
  const r = await main();
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
} catch (e) {
  process.stderr.write(`import child failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
}
