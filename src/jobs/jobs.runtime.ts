// Starts the in-process job worker and scheduler for `finhub serve`, with the
// built-in handlers and schedules. Other processes can run workers on the same
// table (PostgreSQL); leasing keeps each job to one runner.
import type { Container } from '../app/container.ts';
import { upsertSchedule } from './scheduler.ts';
import { Scheduler } from './scheduler.ts';
import { JobWorker, type JobHandler } from './worker.ts';
import { MAINTENANCE_JOB, runMaintenance } from '../ops/dbtools/maintenance.ts';
import { SNAPSHOT_JOB, takeSnapshot } from '../ops/reports/snapshots.ts';
import { trafficRecorder } from '../ops/reports/traffic.ts';
import { backupJobHandlers, registerBackupSchedules } from '../backup/backup.jobs.ts';
import { RECURRING_SCHEDULE, recurringJobHandlers } from '../recurring/recurring.jobs.ts';

export const BUILTIN_SCHEDULES = [
  { name: 'sessions.purge-expired', cron: '17 3 * * *', jobName: 'sessions.purge-expired' },
  // Hourly fleet snapshot for `finhub report ops` (capacity trends).
  { name: SNAPSHOT_JOB, cron: '7 * * * *', jobName: SNAPSHOT_JOB },
  // Weekly database maintenance, Sunday 04:43 UTC (see docs/runbook.md "Database maintenance").
  { name: MAINTENANCE_JOB, cron: '43 4 * * 0', jobName: MAINTENANCE_JOB },
  // Import previews past FINHUB_IMPORT_PREVIEW_TTL_HOURS: mark expired, delete their stored rows.
  { name: 'imports.purge-expired', cron: '23 * * * *', jobName: 'imports.purge-expired' },
  // Recurring bills: late and larger-than-usual bills become alerts (src/recurring).
  RECURRING_SCHEDULE,
] as const;

export function builtinHandlers(c: Container): Record<string, JobHandler> {
  return {
    'sessions.purge-expired': async () => ({ deleted: await c.auth.purgeExpiredSessions() }),
    'imports.purge-expired': async () => {
      let expired = 0;
      for (let n = -1; n !== 0; expired += n) n = await c.imports.purgeExpired(500);
      return { expired };
    },
    [SNAPSHOT_JOB]: async (_payload, ctx) => {
      await trafficRecorder(c).flush();
      const s = await takeSnapshot(c);
      ctx.logger?.info({ snapshotId: s.id }, 'ops snapshot recorded');
      return { snapshotId: s.id };
    },
    [MAINTENANCE_JOB]: async () => {
      const run = await runMaintenance(c, 'schedule');
      // A failed step fails the job, so it shows in job metrics and alerts; the run row has the details.
      if (run.status !== 'succeeded') throw new Error(`maintenance run ${run.id} had failed steps: ${run.steps.filter((x) => !x.ok).map((x) => x.name).join(', ')}`);
      return { runId: run.id };
    },
    // Backup, verify, drill and prune (src/backup/backup.jobs.ts).
    ...backupJobHandlers(c),
    ...recurringJobHandlers(c),
  };
}

export async function startJobs(c: Container): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  if (c.config.schedulerEnabled) {
    for (const s of BUILTIN_SCHEDULES) await upsertSchedule(c.db.kysely, { ...s });
    await registerBackupSchedules(c.db.kysely, c.config, c.logger);
    const scheduler = new Scheduler({ db: c.db, intervalMs: 30_000, logger: c.logger });
    scheduler.start();
    stops.push(async () => scheduler.stop());
  }
  if (c.config.jobsWorker) {
    const handlers = builtinHandlers(c);
    // Job names are free text; the metric label stays bounded by this process's handler registry.
    const jobType = (name: string) => (Object.hasOwn(handlers, name) ? name : 'other');
    const worker = new JobWorker({
      db: c.db,
      handlers,
      concurrency: c.config.jobsConcurrency,
      pollMs: c.config.jobsPollMs,
      visibilityMs: c.config.jobsVisibilityTimeoutMs,
      logger: c.logger,
      onEvent: (e) => {
        if (e.type === 'started') return;
        c.metrics.jobEvents.inc({ outcome: e.type, type: jobType(e.name) });
        if (e.durationSeconds !== undefined) c.metrics.jobDuration.observe({ type: jobType(e.name) }, e.durationSeconds);
      },
    });
    worker.start();
    c.state.worker = worker;
    stops.push(() => worker.stop({ timeoutMs: c.config.shutdownTimeoutMs }));
  }
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
