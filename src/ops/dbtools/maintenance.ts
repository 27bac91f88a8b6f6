// The weekly maintenance run (`ops.maintenance` job, or `finhub db maintenance`):
// VACUUM ANALYZE, expired sessions, old finished jobs, old traffic snapshots,
// rotated log files beyond retention. Every step runs even if an earlier one
// failed; the run and each step's outcome are recorded in maintenance_runs.
import { sql, type Selectable } from 'kysely';
import type { Container } from '../../app/container.ts';
import type { MaintenanceRunsTable, MaintenanceStep } from '../../db/schema-parts/ops.ts';
import { purgeFinished } from '../../jobs/jobs.repository.ts';
import { cleanupRotatedLogs } from '../logs/log-cleanup.ts';
import { logFilePath } from '../logs/log-files.ts';
import { vacuumAnalyze } from './vacuum.ts';

export type MaintenanceRun = Selectable<MaintenanceRunsTable>;

export const MAINTENANCE_JOB = 'ops.maintenance';
/** Traffic snapshots are kept this long: a year of history plus a margin for year-over-year. */
export const TRAFFIC_RETENTION_DAYS = 400;

const DAY_MS = 86_400_000;

export async function runMaintenance(c: Container, trigger: 'schedule' | 'cli', now: Date = new Date()): Promise<MaintenanceRun> {
  const k = c.db.kysely;
  const run = await k.insertInto('maintenance_runs').values({ trigger, steps: '[]' }).returning('id').executeTakeFirstOrThrow();
  const steps: MaintenanceStep[] = [];
  const step = async (name: string, fn: () => Promise<string>) => {
    const started = process.hrtime.bigint();
    let ok = true;
    let detail: string;
    try {
      detail = await fn();
    } catch (e) {
      ok = false;
      detail = (e as Error).message;
      c.logger.error({ err: e, step: name }, 'maintenance step failed');
    }
    steps.push({ name, ok, detail, seconds: Number((Number(process.hrtime.bigint() - started) / 1e9).toFixed(3)) });
  };

  await step('vacuum-analyze', async () => {
    const v = await vacuumAnalyze(c.db);
    return `VACUUM (ANALYZE) of ${v.target} in ${v.seconds.toFixed(1)} s`;
  });
  await step('purge-expired-sessions', async () => `${await c.auth.purgeExpiredSessions()} expired session(s) deleted`);
  await step('purge-finished-jobs', async () => {
    const cutoff = new Date(now.getTime() - c.config.jobsRetentionDays * DAY_MS);
    let total = 0;
    // Bounded batches keep each delete short.
    for (let n = -1; n !== 0; total += n) n = await purgeFinished(k, cutoff, { limit: 10_000 });
    return `${total} finished job(s) older than ${c.config.jobsRetentionDays} days deleted`;
  });
  await step('purge-traffic-snapshots', async () => {
    const cutoff = new Date(now.getTime() - TRAFFIC_RETENTION_DAYS * DAY_MS);
    const r = await k.deleteFrom('ops_snapshots_traffic').where('period_end', '<', cutoff).executeTakeFirst();
    return `${Number(r.numDeletedRows)} traffic snapshot(s) older than ${TRAFFIC_RETENTION_DAYS} days deleted`;
  });
  await step('log-cleanup', async () => {
    const file = logFilePath(c.config);
    if (!file) return 'log file disabled (FINHUB_LOG_FILE=off)';
    const r = await cleanupRotatedLogs(file, c.config.logMaxFiles);
    return `${r.removed.length} rotated log file(s) beyond ${c.config.logMaxFiles} removed, ${r.kept} kept`;
  });

  const status = steps.every((s) => s.ok) ? 'succeeded' : 'failed';
  const row = await k
    .updateTable('maintenance_runs')
    .set({ steps: JSON.stringify(steps), status, finished_at: sql<Date>`now()` })
    .where('id', '=', run.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  c.logger.info({ runId: row.id, status, steps: steps.map((s) => `${s.name}: ${s.ok ? 'ok' : 'FAILED'}`) }, 'maintenance run finished');
  return row;
}

export async function maintenanceHistory(c: Pick<Container, 'db'>, opts: { limit?: number; since?: Date } = {}): Promise<MaintenanceRun[]> {
  let q = c.db.kysely.selectFrom('maintenance_runs').selectAll().orderBy('started_at', 'desc').limit(opts.limit ?? 20);
  if (opts.since) q = q.where('started_at', '>=', opts.since);
  return q.execute();
}
