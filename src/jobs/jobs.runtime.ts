// Starts the in-process job worker and scheduler for `finhub serve`, with the
// built-in handlers and schedules. Other processes can run workers on the same
// table (PostgreSQL); leasing keeps each job to one runner.
import type { Container } from '../app/container.ts';
import { upsertSchedule } from './scheduler.ts';
import { Scheduler } from './scheduler.ts';
import { JobWorker, type JobHandler } from './worker.ts';

export const BUILTIN_SCHEDULES = [
  { name: 'sessions.purge-expired', cron: '17 3 * * *', jobName: 'sessions.purge-expired' },
] as const;

export function builtinHandlers(c: Container): Record<string, JobHandler> {
  return {
    'sessions.purge-expired': async () => ({ deleted: await c.auth.purgeExpiredSessions() }),
  };
}

export async function startJobs(c: Container): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  if (c.config.schedulerEnabled) {
    for (const s of BUILTIN_SCHEDULES) await upsertSchedule(c.db.kysely, { ...s });
    const scheduler = new Scheduler({ db: c.db, intervalMs: 30_000, logger: c.logger });
    scheduler.start();
    stops.push(async () => scheduler.stop());
  }
  if (c.config.jobsWorker) {
    const worker = new JobWorker({
      db: c.db,
      handlers: builtinHandlers(c),
      concurrency: c.config.jobsConcurrency,
      pollMs: c.config.jobsPollMs,
      visibilityMs: c.config.jobsVisibilityTimeoutMs,
      logger: c.logger,
      onEvent: (e) => {
        if (e.type === 'started') return;
        c.metrics.jobEvents.inc({ outcome: e.type });
        if (e.durationSeconds !== undefined) c.metrics.jobDuration.observe(e.durationSeconds);
      },
    });
    worker.start();
    stops.push(() => worker.stop({ timeoutMs: c.config.shutdownTimeoutMs }));
  }
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
