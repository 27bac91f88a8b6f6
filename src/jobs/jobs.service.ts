// The jobs facade the rest of finhub uses (routes, CLI, other services): input
// checks and AppError mapping over the repository and scheduler functions.
import type { Db } from '../db/create-db.ts';
import type { JobRow } from '../db/schema.ts';
import { AppError, invalid, notFound } from '../shared/app-error.ts';
import { CronError } from './cron.ts';
import * as repo from './jobs.repository.ts';
import { listSchedules, upsertSchedule, type ScheduleInput, type ScheduleRow } from './scheduler.ts';

export interface JobsService {
  /** Returns the live job holding input.dedupeKey instead of inserting, with created = false. */
  enqueue(input: repo.EnqueueInput): Promise<repo.EnqueueResult>;
  stats(): Promise<repo.JobStats>;
  list(opts?: repo.ListJobsOptions): Promise<repo.JobPage>;
  /** NOT_FOUND when there is no such job; CONFLICT when it is not dead or its dedupe key is taken. */
  retryDead(id: string): Promise<JobRow>;
  /** NOT_FOUND when there is no such job; CONFLICT when it already finished. */
  cancel(id: string): Promise<JobRow>;
  /** VALIDATION_FAILED for a bad cron expression. */
  upsertSchedule(input: ScheduleInput): Promise<ScheduleRow>;
  listSchedules(): Promise<ScheduleRow[]>;
}

const INT32_MAX = 2_147_483_647;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;

function checkName(field: string, value: string): void {
  if (!NAME.test(value)) throw invalid(field, 'must be 1-100 characters: letters, digits, and _ . : - (not first)');
}

function checkEnqueue(input: repo.EnqueueInput): void {
  checkName('/body/name', input.name);
  if (input.queue !== undefined) checkName('/body/queue', input.queue);
  if (input.priority !== undefined && (!Number.isInteger(input.priority) || Math.abs(input.priority) > INT32_MAX)) {
    throw invalid('/body/priority', 'must be a 32-bit integer');
  }
  if (input.maxAttempts !== undefined && (!Number.isInteger(input.maxAttempts) || input.maxAttempts < 1 || input.maxAttempts > 1000)) {
    throw invalid('/body/maxAttempts', 'must be an integer 1-1000');
  }
  if (input.runAt !== undefined && Number.isNaN(input.runAt.getTime())) throw invalid('/body/runAt', 'is not a valid time');
  if (input.dedupeKey != null && (input.dedupeKey.length === 0 || input.dedupeKey.length > 500)) {
    throw invalid('/body/dedupeKey', 'must be 1-500 characters');
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

export function createJobsService(db: Db): JobsService {
  const k = db.kysely;

  async function existing(id: string): Promise<JobRow> {
    const job = repo.isUuid(id) ? await repo.getJob(k, id) : undefined;
    if (!job) throw notFound('job');
    return job;
  }

  return {
    async enqueue(input) {
      checkEnqueue(input);
      return repo.enqueue(k, input);
    },

    stats: () => repo.stats(k),

    list: (opts = {}) => repo.listJobs(k, opts),

    async retryDead(id) {
      let row: JobRow | undefined;
      try {
        row = repo.isUuid(id) ? await repo.retryDead(k, id) : undefined;
      } catch (err) {
        // Another job took the dedupe key between our check and the update.
        if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'a queued or running job already holds this job\'s dedupe key');
        throw err;
      }
      if (row) return row;
      const job = await existing(id);
      if (job.state !== 'dead') throw new AppError('CONFLICT', `job is ${job.state}, only dead jobs can be retried`);
      throw new AppError('CONFLICT', 'a queued or running job already holds this job\'s dedupe key');
    },

    async cancel(id) {
      const row = repo.isUuid(id) ? await repo.cancel(k, id) : undefined;
      if (row) return row;
      const job = await existing(id);
      throw new AppError('CONFLICT', `job is already ${job.state}`);
    },

    async upsertSchedule(input) {
      checkName('/body/name', input.name);
      checkName('/body/jobName', input.jobName);
      if (input.queue !== undefined) checkName('/body/queue', input.queue);
      try {
        return await upsertSchedule(k, input);
      } catch (err) {
        if (err instanceof CronError) throw invalid('/body/cron', err.message);
        throw err;
      }
    },

    listSchedules: () => listSchedules(k),
  };
}
