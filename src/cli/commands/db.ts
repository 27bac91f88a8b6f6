// `finhub db …`: database procedures for operators. Where one does not apply to
// the embedded database, the command says so and exits 0.
import { parseDuration } from '../../ops/slo/duration.ts';
import { UsageError, type Command } from '../context.ts';

// The procedures are imported when a command runs: a command forwarded to a
// running server only needs the definitions below.
const pgStats = () => import('../../ops/dbtools/pg-stats.ts');
const formats = () => import('../../ops/health/checks.ts');

const json = { type: 'boolean' as const, description: 'machine-readable output' };

function seconds(values: Record<string, unknown>, name: string, fallback?: string): number | undefined {
  const raw = (values[name] as string | undefined) ?? fallback;
  if (raw === undefined) return undefined;
  const d = parseDuration(raw);
  if (!d) throw new UsageError(`--${name} must be a duration such as 30s, 1m, 5m or 1h, got ${JSON.stringify(raw)}`);
  return d.seconds;
}

function positiveInt(values: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new UsageError(`--${name} must be an integer 1-${max}`);
  return Number(raw);
}

export const dbSlowQueriesCommand: Command = {
  name: 'db slow-queries',
  summary: 'Slowest statements by mean time (pg_stat_statements)',
  usage: 'finhub db slow-queries [--limit 20] [--json]',
  needsDb: true,
  options: { limit: { type: 'string', description: 'how many statements (default 20)' }, json },
  async run(ctx, values) {
    const limit = positiveInt(values, 'limit', 20, 500);
    const c = await ctx.container();
    const { longRunning, slowQueries } = await pgStats();
    const r = await slowQueries(c.db, limit);
    if (values.json) {
      ctx.io.out(JSON.stringify(r));
      return 0;
    }
    if (!r.available) {
      ctx.io.out(`slow queries: not available: ${r.reason}`);
      for (const l of r.hint.split('\n')) ctx.io.out(l);
      if (c.db.engine === 'postgres') {
        // Without statement history, what is slow right now is still visible.
        const now = await longRunning(c.db, 1);
        ctx.io.out('');
        ctx.io.out(`statements running longer than 1 s right now (pg_stat_activity): ${now.available ? now.rows.length : 0}`);
        if (now.available) for (const a of now.rows) ctx.io.out(`  pid ${a.pid}  ${a.seconds.toFixed(1)} s  ${a.state ?? ''}  ${a.query}`);
        ctx.io.out('see also: finhub db long-running --older-than 5s');
      }
      return 0;
    }
    if (r.rows.length === 0) ctx.io.out('pg_stat_statements has no statements for this database yet');
    ctx.io.out(`${'mean ms'.padStart(10)} ${'max ms'.padStart(10)} ${'calls'.padStart(9)}  query`);
    for (const q of r.rows) ctx.io.out(`${q.meanMs.toFixed(2).padStart(10)} ${q.maxMs.toFixed(2).padStart(10)} ${String(q.calls).padStart(9)}  ${q.query}`);
    return 0;
  },
};

export const dbIndexUsageCommand: Command = {
  name: 'db index-usage',
  summary: 'Index scans and sizes; flags indexes never used (pg_stat_user_indexes)',
  usage: 'finhub db index-usage [--unused] [--json]',
  needsDb: true,
  options: { unused: { type: 'boolean', description: 'only indexes flagged unused' }, json },
  async run(ctx, values) {
    const c = await ctx.container();
    const [{ indexUsage }, { formatBytes }] = await Promise.all([pgStats(), formats()]);
    const r = await indexUsage(c.db);
    const rows = values.unused ? r.rows.filter((x) => x.unused) : r.rows;
    if (values.json) {
      ctx.io.out(JSON.stringify({ statsSince: r.statsSince, indexes: rows }));
      return 0;
    }
    const w = Math.max(5, ...rows.map((x) => `${x.table}.${x.index}`.length));
    ctx.io.out(`${'index'.padEnd(w)} ${'scans'.padStart(10)} ${'size'.padStart(10)}  note`);
    for (const x of rows) {
      const note = x.unused ? 'UNUSED: never scanned (drop it if that holds over a full business cycle)' : x.scans === 0 ? 'never scanned, but enforces a unique/primary key' : '';
      ctx.io.out(`${`${x.table}.${x.index}`.padEnd(w)} ${String(x.scans).padStart(10)} ${formatBytes(x.sizeBytes).padStart(10)}  ${note}`.trimEnd());
    }
    const unused = r.rows.filter((x) => x.unused);
    ctx.io.out('');
    ctx.io.out(`${unused.length} unused index(es), ${formatBytes(unused.reduce((a, x) => a + x.sizeBytes, 0))}; scan counts since ${r.statsSince ? r.statsSince.toISOString() : 'unknown'}${c.db.engine === 'pglite' ? ' (embedded: counted since the database was opened)' : ''}`);
    return 0;
  },
};

export const dbLongRunningCommand: Command = {
  name: 'db long-running',
  summary: 'Statements running longer than a threshold; optionally cancel the oldest (never this command\'s own)',
  usage: 'finhub db long-running [--older-than 1m] [--cancel-older-than 5m] [--json]',
  needsDb: true,
  options: {
    'older-than': { type: 'string', description: 'list statements running longer than this (default 1m)' },
    'cancel-older-than': { type: 'string', description: 'cancel (pg_cancel_backend) the ones running longer than this' },
    json,
  },
  async run(ctx, values) {
    const olderThan = seconds(values, 'older-than', '1m')!;
    const cancelAfter = seconds(values, 'cancel-older-than');
    if (cancelAfter !== undefined && cancelAfter < olderThan) throw new UsageError('--cancel-older-than must not be shorter than --older-than');
    const c = await ctx.container();
    const [{ longRunning }, { formatAge }] = await Promise.all([pgStats(), formats()]);
    const r = await longRunning(c.db, olderThan, cancelAfter);
    if (values.json) {
      ctx.io.out(JSON.stringify(r));
      return 0;
    }
    if (!r.available) {
      ctx.io.out(`long-running statements: does not apply: ${r.reason}`);
      return 0;
    }
    ctx.io.out(`${r.rows.length} statement(s) running longer than ${formatAge(olderThan)}`);
    for (const a of r.rows) {
      const action = a.cancelled === undefined ? '' : a.cancelled ? '  CANCELLED' : '  cancel refused (not permitted or already finished)';
      ctx.io.out(`  pid ${a.pid}  ${a.seconds.toFixed(1)} s  ${a.state ?? '?'}${a.wait ? ` (waiting ${a.wait})` : ''}  ${a.user ?? '?'}@${a.application || '?'}  ${a.query}${action}`);
    }
    const idleTx = r.rows.filter((a) => a.state?.startsWith('idle in transaction'));
    if (idleTx.length) ctx.io.out(`note: ${idleTx.length} session(s) are idle in a transaction; cancelling does not end those (pg_terminate_backend does)`);
    return 0;
  },
};

export const dbVacuumCommand: Command = {
  name: 'db vacuum',
  summary: 'VACUUM (ANALYZE) one table or the whole database',
  usage: 'finhub db vacuum [--table NAME]',
  needsDb: true,
  options: { table: { type: 'string', description: 'only this table (default: all)' } },
  async run(ctx, values) {
    const table = values.table as string | undefined;
    if (table !== undefined && table === '') throw new UsageError('--table needs a table name');
    const c = await ctx.container();
    const { vacuumAnalyze } = await import('../../ops/dbtools/vacuum.ts');
    const r = await vacuumAnalyze(c.db, table);
    ctx.io.out(`VACUUM (ANALYZE) of ${r.target} done in ${r.seconds.toFixed(2)} s`);
    return 0;
  },
};

export const dbMaintenanceCommand: Command = {
  name: 'db maintenance',
  summary: 'Run the weekly maintenance now (vacuum, sessions, old jobs and snapshots, rotated logs) and record it',
  usage: 'finhub db maintenance [--json]',
  needsDb: true,
  options: { json },
  async run(ctx, values) {
    const c = await ctx.container();
    const { runMaintenance } = await import('../../ops/dbtools/maintenance.ts');
    const run = await runMaintenance(c, 'cli');
    if (values.json) ctx.io.out(JSON.stringify(run));
    else {
      ctx.io.out(`maintenance run ${run.id}: ${run.status}`);
      for (const s of run.steps) ctx.io.out(`  ${s.ok ? 'ok    ' : 'FAILED'}  ${s.name.padEnd(24)} ${s.detail} (${s.seconds} s)`);
    }
    return run.status === 'succeeded' ? 0 : 1;
  },
};

export const dbMaintenanceHistoryCommand: Command = {
  name: 'db maintenance-history',
  summary: 'Recent maintenance runs and the outcome of each step',
  usage: 'finhub db maintenance-history [--limit 10] [--json]',
  needsDb: true,
  options: { limit: { type: 'string', description: 'how many runs (default 10)' }, json },
  async run(ctx, values) {
    const limit = positiveInt(values, 'limit', 10, 1000);
    const c = await ctx.container();
    const { maintenanceHistory } = await import('../../ops/dbtools/maintenance.ts');
    const runs = await maintenanceHistory(c, { limit });
    if (values.json) {
      ctx.io.out(JSON.stringify(runs));
      return 0;
    }
    if (runs.length === 0) ctx.io.out('no maintenance run recorded yet (the weekly job runs Sundays at 04:43 UTC; finhub db maintenance runs it now)');
    for (const r of runs) {
      const took = r.finished_at ? ` in ${((r.finished_at.getTime() - r.started_at.getTime()) / 1000).toFixed(1)} s` : '';
      ctx.io.out(`${r.started_at.toISOString()}  ${r.trigger.padEnd(8)}  ${r.status}${took}`);
      for (const s of r.steps) ctx.io.out(`    ${s.ok ? 'ok    ' : 'FAILED'}  ${s.name}: ${s.detail}`);
    }
    return 0;
  },
};

export const DB_COMMANDS: Command[] = [dbSlowQueriesCommand, dbIndexUsageCommand, dbLongRunningCommand, dbVacuumCommand, dbMaintenanceCommand, dbMaintenanceHistoryCommand];
