// A worker process's job runner: polls the queue, leases at most
// `concurrency - running` jobs at a time, runs their handlers, heartbeats the
// leases of long jobs and records the outcome. Every database call and handler
// is awaited inside a try/catch so nothing escapes as an unhandled rejection.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../db/create-db.ts';
import type { JobRow } from '../db/schema.ts';
import {
  complete, describeError, extendLease, fail, lease, recoverExpired, release, type BackoffOptions,
} from './jobs.repository.ts';
import { runWithRequestId } from '../ops/logs/request-context.ts';

/** The subset of a pino logger the job runner uses. */
export interface JobLogger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

export interface JobContext {
  jobId: string;
  /** 1 on the first run, counting every lease of this job. */
  attempt: number;
  /** Aborted when the lease is lost (expired, cancelled) or stop() times out. */
  signal: AbortSignal;
  /** Pushes the lease out by visibilityMs now; false when the lease is gone. */
  extendLease(): Promise<boolean>;
  /** X-Request-Id of the request that enqueued the job, if any. */
  requestId: string | null;
  /** Logs with the job id, name and request_id on every line. */
  logger: JobLogger | undefined;
}

export type JobHandler = (payload: Record<string, unknown>, ctx: JobContext) => Promise<unknown>;

export type JobEventType = 'started' | 'succeeded' | 'failed' | 'dead';

export interface JobEvent {
  type: JobEventType;
  name: string;
  queue: string;
  jobId: string;
  attempt: number;
  /** Handler run time, for every type but 'started'. */
  durationSeconds?: number;
}

export type JobOutcome = 'succeeded' | 'failed' | 'dead' | 'released' | 'lost';

export interface JobRunResult {
  id: string;
  name: string;
  attempt: number;
  outcome: JobOutcome;
}

export interface JobWorkerOptions {
  db: Db;
  handlers: Record<string, JobHandler>;
  /** Default ['default']. */
  queues?: readonly string[];
  /** Jobs run at once by this worker; default 2. */
  concurrency?: number;
  /** Idle poll interval, ms; default 1000. */
  pollMs?: number;
  /** Lease length, ms; default 300000. */
  visibilityMs?: number;
  /** Heartbeat interval, ms; default visibilityMs / 3. */
  heartbeatMs?: number;
  /** How often this worker requeues expired leases, ms; default min(visibilityMs, 60000). */
  recoverEveryMs?: number;
  workerId?: string;
  logger?: JobLogger;
  onEvent?: (event: JobEvent) => void;
  backoff?: BackoffOptions;
  /** After stop()'s timeout aborts handlers, how long to let them settle, ms; default 1000. */
  abortGraceMs?: number;
}

interface Active {
  job: JobRow;
  controller: AbortController;
  heartbeat: NodeJS.Timeout | undefined;
  done?: Promise<JobRunResult>;
}

// A throwing logger or event hook must not turn into an unhandled rejection.
function safeLogger(l: JobLogger): JobLogger {
  const wrap = (fn: JobLogger['info']): JobLogger['info'] => (obj, msg) => {
    try {
      fn.call(l, obj, msg);
    } catch {
      // Nothing sensible left to report to.
    }
  };
  return { info: wrap(l.info), warn: wrap(l.warn), error: wrap(l.error) };
}

export const defaultWorkerId = (): string => `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

const SHUTDOWN_REASON = 'released: worker shut down before the job finished';

export class JobWorker {
  readonly workerId: string;
  readonly #db: Db;
  readonly #handlers: Record<string, JobHandler>;
  readonly #queues: readonly string[];
  readonly #concurrency: number;
  readonly #pollMs: number;
  readonly #visibilityMs: number;
  readonly #heartbeatMs: number;
  readonly #recoverEveryMs: number;
  readonly #logger: JobLogger | undefined;
  readonly #onEvent: ((event: JobEvent) => void) | undefined;
  readonly #backoff: BackoffOptions | undefined;
  readonly #abortGraceMs: number;

  readonly #active = new Map<string, Active>();
  #loop: Promise<void> | undefined;
  #stopping = false;
  #shuttingDown = false;
  #wake: (() => void) | undefined;
  /** A slot freed while the loop was not asleep; its next sleep returns at once. */
  #wakePending = false;
  #lastRecoverAt = 0;

  constructor(opts: JobWorkerOptions) {
    this.#db = opts.db;
    this.#handlers = opts.handlers;
    this.#queues = opts.queues ?? ['default'];
    this.#concurrency = opts.concurrency ?? 2;
    this.#pollMs = opts.pollMs ?? 1000;
    this.#visibilityMs = opts.visibilityMs ?? 300_000;
    this.#heartbeatMs = opts.heartbeatMs ?? Math.max(1, Math.floor(this.#visibilityMs / 3));
    this.#recoverEveryMs = opts.recoverEveryMs ?? Math.min(this.#visibilityMs, 60_000);
    this.workerId = opts.workerId ?? defaultWorkerId();
    this.#logger = opts.logger && safeLogger(opts.logger);
    this.#onEvent = opts.onEvent;
    this.#backoff = opts.backoff;
    this.#abortGraceMs = opts.abortGraceMs ?? 1000;
    if (this.#queues.length === 0) throw new RangeError('JobWorker: at least one queue is required');
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) throw new RangeError('JobWorker: concurrency must be an integer >= 1');
    if (!(this.#pollMs > 0) || !(this.#visibilityMs > 0) || !(this.#heartbeatMs > 0)) {
      throw new RangeError('JobWorker: pollMs, visibilityMs and heartbeatMs must be > 0');
    }
  }

  get running(): number {
    return this.#active.size;
  }

  get started(): boolean {
    return this.#loop !== undefined;
  }

  start(): void {
    if (this.#loop) return;
    this.#stopping = false;
    this.#shuttingDown = false;
    this.#wakePending = false;
    this.#loop = this.#pollLoop();
  }

  /**
   * Stops leasing, waits up to timeoutMs for running jobs, then aborts their
   * signals (their jobs are released back to the queue if they end within the
   * grace period; otherwise their leases expire) and returns.
   */
  async stop(opts: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    this.#stopping = true;
    this.#signalLoop();
    await this.#loop;
    this.#loop = undefined;
    const drained = await this.#waitActive(timeoutMs);
    if (drained) return;
    this.#shuttingDown = true;
    this.#logger?.warn({ workerId: this.workerId, jobs: [...this.#active.keys()] }, 'jobs still running at stop timeout; aborting them');
    for (const a of this.#active.values()) a.controller.abort(new Error('worker stopping'));
    const settled = await this.#waitActive(this.#abortGraceMs);
    if (!settled) {
      // Handlers that ignore their signal keep running, but stop touching their
      // leases: they expire and another worker takes the jobs over.
      for (const a of this.#active.values()) clearInterval(a.heartbeat);
    }
  }

  /** Recovers expired leases, leases one batch (up to free slots) and waits for it to finish. */
  async runOnce(): Promise<JobRunResult[]> {
    await this.#recover(true);
    const started = await this.#leaseBatch();
    return Promise.all(started);
  }

  async #pollLoop(): Promise<void> {
    while (!this.#stopping) {
      await this.#recover(false);
      if (this.#stopping) break;
      await this.#leaseBatch();
      if (this.#stopping) break;
      // A finishing job wakes the loop early so a freed slot is refilled at once.
      await this.#sleep(this.#pollMs);
    }
  }

  /** Resolves after ms, or earlier when a slot frees or stop() is called. */
  #sleep(ms: number): Promise<void> {
    if (this.#wakePending || this.#stopping) {
      this.#wakePending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
    });
  }

  #signalLoop(): void {
    if (this.#wake) this.#wake();
    else this.#wakePending = true;
  }

  async #recover(force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - this.#lastRecoverAt < this.#recoverEveryMs) return;
    this.#lastRecoverAt = now;
    try {
      const recovered = await recoverExpired(this.#db.kysely);
      for (const j of recovered) {
        this.#logger?.warn({ jobId: j.id, name: j.name, state: j.state, attempts: j.attempts }, 'recovered job with expired lease');
        if (j.state === 'dead') this.#emit({ type: 'dead', name: j.name, queue: j.queue, jobId: j.id, attempt: j.attempts });
      }
    } catch (err) {
      this.#logger?.error({ err: describeError(err), workerId: this.workerId }, 'recovering expired leases failed');
    }
  }

  async #leaseBatch(): Promise<Array<Promise<JobRunResult>>> {
    const free = this.#concurrency - this.#active.size;
    if (free <= 0) return [];
    let jobs: JobRow[];
    try {
      jobs = await lease(this.#db.kysely, { queues: this.#queues, workerId: this.workerId, limit: free, visibilityMs: this.#visibilityMs });
    } catch (err) {
      this.#logger?.error({ err: describeError(err), workerId: this.workerId }, 'leasing jobs failed');
      return [];
    }
    return jobs.map((job) => this.#startJob(job));
  }

  #startJob(job: JobRow): Promise<JobRunResult> {
    const controller = new AbortController();
    const active: Active = { job, controller, heartbeat: undefined };
    active.heartbeat = setInterval(() => void this.#heartbeat(active), this.#heartbeatMs);
    active.heartbeat.unref();
    this.#active.set(job.id, active);
    active.done = this.#run(active)
      .catch((): JobRunResult => ({ id: job.id, name: job.name, attempt: job.attempts, outcome: 'lost' }))
      .finally(() => {
        clearInterval(active.heartbeat);
        this.#active.delete(job.id);
        this.#signalLoop();
      });
    return active.done;
  }

  async #heartbeat(a: Active): Promise<boolean> {
    if (a.controller.signal.aborted) return false;
    try {
      const ok = await extendLease(this.#db.kysely, a.job.id, this.workerId, this.#visibilityMs, { attempt: a.job.attempts });
      if (!ok && !a.controller.signal.aborted) {
        this.#logger?.warn({ jobId: a.job.id, name: a.job.name, workerId: this.workerId }, 'lease lost (expired or cancelled); aborting job');
        a.controller.abort(new Error('lease lost'));
      }
      return ok;
    } catch (err) {
      // A failed heartbeat is not a lost lease; the next one may get through.
      this.#logger?.warn({ err: describeError(err), jobId: a.job.id }, 'lease heartbeat failed');
      return false;
    }
  }

  /** The worker's logger with the job's identity (and the request that enqueued it) on every line. */
  #jobLogger(job: JobRow): JobLogger | undefined {
    const base = this.#logger;
    if (!base) return undefined;
    const ids = { jobId: job.id, name: job.name, ...(job.request_id ? { request_id: job.request_id } : {}) };
    return {
      info: (obj, msg) => base.info({ ...ids, ...obj }, msg),
      warn: (obj, msg) => base.warn({ ...ids, ...obj }, msg),
      error: (obj, msg) => base.error({ ...ids, ...obj }, msg),
    };
  }

  async #run(a: Active): Promise<JobRunResult> {
    const { job, controller } = a;
    const log = this.#jobLogger(job);
    const base = { name: job.name, queue: job.queue, jobId: job.id, attempt: job.attempts };
    const result = (outcome: JobOutcome): JobRunResult => ({ id: job.id, name: job.name, attempt: job.attempts, outcome });
    const startedAt = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - startedAt) / 1e9;
    this.#emit({ ...base, type: 'started' });
    let value: unknown;
    let error: unknown;
    let ok = false;
    try {
      const handler = this.#handlers[job.name];
      if (!handler) throw new Error(`no handler registered for job "${job.name}" (queue "${job.queue}")`);
      const ctx: JobContext = {
        jobId: job.id,
        attempt: job.attempts,
        signal: controller.signal,
        extendLease: () => this.#heartbeat(a),
        requestId: job.request_id,
        logger: log,
      };
      // Jobs this handler enqueues inherit the originating request id.
      value = await runWithRequestId(job.request_id, () => handler(job.payload, ctx));
      ok = true;
    } catch (err) {
      error = err;
    }
    const durationSeconds = seconds();
    try {
      const guard = { attempt: job.attempts };
      if (ok) {
        const row = await complete(this.#db.kysely, job.id, this.workerId, value, guard);
        if (!row) return this.#lost(job, result);
        log?.info({ attempt: job.attempts, durationSeconds }, 'job succeeded');
        this.#emit({ ...base, type: 'succeeded', durationSeconds });
        return result('succeeded');
      }
      if (this.#shuttingDown && controller.signal.aborted) {
        const row = await release(this.#db.kysely, job.id, this.workerId, SHUTDOWN_REASON, guard);
        if (!row) return this.#lost(job, result);
        log?.warn({}, 'job released back to the queue at shutdown');
        return result('released');
      }
      const row = await fail(this.#db.kysely, job.id, this.workerId, error, { ...guard, backoff: this.#backoff });
      if (!row) return this.#lost(job, result);
      const dead = row.state === 'dead';
      log?.[dead ? 'error' : 'warn'](
        { attempt: job.attempts, maxAttempts: row.max_attempts, retryAt: dead ? undefined : row.run_at, err: describeError(error) },
        dead ? 'job failed for the last time; moved to dead letters' : 'job failed; will retry',
      );
      this.#emit({ ...base, type: dead ? 'dead' : 'failed', durationSeconds });
      return result(dead ? 'dead' : 'failed');
    } catch (err) {
      log?.error({ err: describeError(err) }, 'recording job outcome failed; its lease will expire and it will be retried');
      return result('lost');
    }
  }

  #lost(job: JobRow, result: (o: JobOutcome) => JobRunResult): JobRunResult {
    this.#logger?.warn({ jobId: job.id, name: job.name, workerId: this.workerId }, 'lease was lost before the job finished; outcome discarded');
    return result('lost');
  }

  #emit(event: JobEvent): void {
    if (!this.#onEvent) return;
    try {
      this.#onEvent(event);
    } catch (err) {
      this.#logger?.warn({ err: describeError(err), event: event.type }, 'job event hook threw');
    }
  }

  async #waitActive(timeoutMs: number): Promise<boolean> {
    if (this.#active.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const all = Promise.all([...this.#active.values()].map((a) => a.done)).then(() => true as const);
    try {
      return await Promise.race([all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
