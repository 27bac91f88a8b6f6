// The daily evaluation of recurring bills on the job queue: every ledger with
// active schedules is walked to today, late and larger-than-usual bills become
// alerts (GET …/recurring/alerts). Alerts are unique per schedule, kind and
// expected date, so a repeated or concurrent run adds nothing twice.
import type { Container } from '../app/container.ts';
import type { JobHandler } from '../jobs/worker.ts';

export const RECURRING_JOB = 'recurring.evaluate';
/** Daily at 05:41 UTC, after the night's imports. */
export const RECURRING_SCHEDULE = { name: RECURRING_JOB, cron: '41 5 * * *', jobName: RECURRING_JOB } as const;

export function recurringJobHandlers(c: Container): Record<string, JobHandler> {
  return {
    [RECURRING_JOB]: async (_payload, ctx) => {
      const r = await c.recurring.evaluateAll();
      ctx.logger?.info(r, 'recurring bills evaluated');
      return r;
    },
  };
}
