// Cron schedules stored in job_schedules. tick() turns every due schedule into
// one queued job. Several processes may tick at once: due rows are locked with
// FOR UPDATE SKIP LOCKED inside one transaction (a second ticker skips them, and
// afterwards sees next_run_at already advanced), and each job carries the dedupe
// key schedule:<name>:<slot> so a slot still queued or running is not enqueued
// again even if a row were processed twice.
import { sql, type Selectable } from 'kysely';
import type { Db } from '../db/create-db.ts';
import type { JobSchedulesTable } from '../db/schema.ts';
import { nextAfter, parseCron } from './cron.ts';
import { describeError, enqueue, type Executor } from './jobs.repository.ts';
import type { JobLogger } from './worker.ts';

export type ScheduleRow = Selectable<JobSchedulesTable>;

export interface ScheduleInput {
  name: string;
  cron: string;
  jobName: string;
  payload?: Record<string, unknown>;
  queue?: string;
  enabled?: boolean;
}

export interface TickEnqueued {
  schedule: string;
  jobId: string;
  /** The due slot this job stands for (earlier missed slots are folded into it). */
  slot: Date;
  /** False when a live job already held this slot's dedupe key. */
  created: boolean;
}

export interface TickResult {
  enqueued: TickEnqueued[];
  errors: Array<{ schedule: string; error: string }>;
}

export const scheduleDedupeKey = (name: string, slot: Date): string => `schedule:${name}:${slot.toISOString()}`;

/**
 * Creates or updates a schedule. next_run_at is the first slot after `now`;
 * an update keeps the stored next_run_at unless the cron changed or the
 * schedule is being re-enabled (so redeploying the same definition neither
 * skips nor repeats a slot). Throws CronError for a bad expression.
 */
export async function upsertSchedule(executor: Executor, input: ScheduleInput, now: Date = new Date()): Promise<ScheduleRow> {
  const cron = input.cron.trim();
  const next = nextAfter(parseCron(cron), now);
  const enabled = input.enabled ?? true;
  return executor
    .insertInto('job_schedules')
    .values({
      name: input.name,
      cron,
      job_name: input.jobName,
      queue: input.queue ?? 'default',
      payload: JSON.stringify(input.payload ?? {}),
      enabled,
      next_run_at: next,
    })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({
        cron: (eb) => eb.ref('excluded.cron'),
        job_name: (eb) => eb.ref('excluded.job_name'),
        queue: (eb) => eb.ref('excluded.queue'),
        payload: (eb) => eb.ref('excluded.payload'),
        enabled: (eb) => eb.ref('excluded.enabled'),
        next_run_at: sql<Date>`case when job_schedules.cron is distinct from excluded.cron or (excluded.enabled and not job_schedules.enabled) then excluded.next_run_at else job_schedules.next_run_at end`,
        updated_at: sql<Date>`now()`,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listSchedules(executor: Executor): Promise<ScheduleRow[]> {
  return executor.selectFrom('job_schedules').selectAll().orderBy('name').execute();
}

export async function deleteSchedule(executor: Executor, name: string): Promise<boolean> {
  const r = await executor.deleteFrom('job_schedules').where('name', '=', name).executeTakeFirst();
  return r.numDeletedRows > 0n;
}

async function tickIn(tx: Executor, now: Date, batch: number): Promise<TickResult> {
  const result: TickResult = { enqueued: [], errors: [] };
  const due = await tx
    .selectFrom('job_schedules')
    .selectAll()
    .where('enabled', '=', true)
    .where('next_run_at', '<=', now)
    .orderBy('next_run_at')
    .orderBy('name')
    .limit(batch)
    .forUpdate()
    .skipLocked()
    .execute();
  for (const s of due) {
    let next: Date;
    try {
      next = nextAfter(parseCron(s.cron), now);
    } catch (err) {
      // A cron edited into something invalid behind our back: report it, keep the rest going.
      result.errors.push({ schedule: s.name, error: describeError(err) });
      continue;
    }
    const slot = s.next_run_at;
    const { job, created } = await enqueue(tx, {
      name: s.job_name,
      queue: s.queue,
      payload: s.payload,
      dedupeKey: scheduleDedupeKey(s.name, slot),
    });
    await tx
      .updateTable('job_schedules')
      .set({ next_run_at: next, last_enqueued_at: now, updated_at: sql<Date>`now()` })
      .where('name', '=', s.name)
      .execute();
    result.enqueued.push({ schedule: s.name, jobId: job.id, slot, created });
  }
  return result;
}

/**
 * Enqueues one job per due enabled schedule (next_run_at <= now) and moves
 * next_run_at to the first slot after `now`, so slots missed while nothing
 * ticked collapse into this one run.
 */
export async function tick(executor: Executor, now: Date = new Date(), opts: { batch?: number } = {}): Promise<TickResult> {
  const batch = opts.batch ?? 100;
  if (executor.isTransaction) return tickIn(executor, now, batch);
  return executor.transaction().execute((tx) => tickIn(tx, now, batch));
}

export interface SchedulerOptions {
  db: Db;
  /** Time between ticks, ms. */
  intervalMs: number;
  logger?: JobLogger;
  /** Clock for due-ness; injectable for tests. */
  now?: () => Date;
  onTick?: (result: TickResult) => void;
}

/** Runs tick() every intervalMs (never overlapping itself) until stop(). */
export class Scheduler {
  readonly #opts: SchedulerOptions;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #running = false;

  constructor(opts: SchedulerOptions) {
    if (!(opts.intervalMs > 0)) throw new RangeError('Scheduler: intervalMs must be > 0');
    this.#opts = opts;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }

  /** One tick now; errors are logged, never thrown. */
  async tickNow(): Promise<TickResult | undefined> {
    const { db, logger, now, onTick } = this.#opts;
    try {
      const result = await tick(db.kysely, now ? now() : new Date());
      for (const e of result.errors) logger?.error({ schedule: e.schedule, err: e.error }, 'schedule has an invalid cron expression');
      if (result.enqueued.length > 0) {
        logger?.info({ enqueued: result.enqueued.map((e) => ({ schedule: e.schedule, jobId: e.jobId, slot: e.slot.toISOString(), created: e.created })) }, 'scheduled jobs enqueued');
      }
      onTick?.(result);
      return result;
    } catch (err) {
      logger?.error({ err: describeError(err) }, 'scheduler tick failed');
      return undefined;
    }
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#inFlight = this.tickNow().then(() => {
        this.#inFlight = undefined;
        if (this.#running) this.#schedule(this.#opts.intervalMs);
      });
    }, delayMs);
    this.#timer.unref();
  }
}
