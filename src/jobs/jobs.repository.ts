// The job queue lives in the `jobs` table; every state change is one guarded
// UPDATE so several worker processes can share it on PostgreSQL (row locks with
// SKIP LOCKED) and the same SQL runs on PGlite. Times come from the database
// clock (now()) so workers on different hosts agree on leases and due times.
//
// Lifecycle: queued -> running (lease) -> succeeded | queued (retry) | dead
// (attempts exhausted) ; queued/running -> cancelled ; dead -> queued (retryDead).
// A lease belongs to (lease_owner, attempts): complete/fail/extend only touch a
// row still running under that owner (and attempt, when given), so a worker
// whose lease expired cannot overwrite the attempt that replaced it.
import { sql, type Kysely, type RawBuilder, type UpdateObject } from 'kysely';
import { decodeCursor as decodeKey, encodeCursor as encodeKey, isUuid } from '../shared/ids.ts';
import type { Database, JobRow, JobState } from '../db/schema.ts';
import { invalid } from '../shared/app-error.ts';
import { currentRequestId } from '../ops/logs/request-context.ts';

/** The database or an open transaction. */
export type Executor = Kysely<Database>;

export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'succeeded', 'dead', 'cancelled'];
export const LEASE_EXPIRED_ERROR = 'lease expired (worker crashed or stalled)';
const MAX_ERROR_CHARS = 8000;

export interface EnqueueInput {
  name: string;
  payload?: Record<string, unknown>;
  queue?: string;
  /** Not before this time; default now. */
  runAt?: Date;
  /** Higher runs first. */
  priority?: number;
  maxAttempts?: number;
  /** While a queued or running job holds this key, enqueue returns that job instead. */
  dedupeKey?: string | null;
  /** Id of the request that caused the job; default: the request being served (see ops/logs/request-context.ts). */
  requestId?: string | null;
}

export interface EnqueueResult {
  job: JobRow;
  created: boolean;
}

/** Milliseconds; delay after attempt n is min(cap, base * factor^(n-1)) scaled by a jitter in [0.5, 1). */
export interface BackoffOptions {
  baseMs?: number;
  factor?: number;
  capMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 1000, factor: 2, capMs: 3_600_000 };

export interface LeaseOptions {
  queues: readonly string[];
  workerId: string;
  limit: number;
  visibilityMs: number;
}

export interface AttemptGuard {
  /** The attempt number lease() handed out; rejects a stale attempt of the same worker. */
  attempt?: number;
}

export interface FailOptions extends AttemptGuard {
  backoff?: BackoffOptions;
  /** Source of the jitter, in [0, 1); injectable for tests. */
  random?: () => number;
}

export interface JobStats {
  byState: Record<JobState, number>;
  byQueue: Record<string, Record<JobState, number>>;
  total: number;
  /** Seconds the longest-waiting due queued job has been runnable; 0 when none waits. */
  oldestQueuedAgeSeconds: number;
}

export interface ListJobsOptions {
  state?: JobState;
  queue?: string;
  /** 1-500, default 50. */
  limit?: number;
  cursor?: string | null;
}

export interface JobPage {
  items: JobRow[];
  nextCursor: string | null;
}

/** ms -> interval, computed by the database. */
function millis(ms: number): RawBuilder<unknown> {
  return sql`(${ms}::float8 * interval '1 millisecond')`;
}

const toJson = (value: unknown): string | null =>
  value === undefined ? null : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/** Text stored in last_error: the stack when there is one, bounded. */
export function describeError(error: unknown): string {
  let text: string;
  if (error instanceof Error) text = error.stack ?? `${error.name}: ${error.message}`;
  else if (typeof error === 'string') text = error;
  else {
    try {
      text = toJson(error) ?? String(error);
    } catch {
      text = String(error);
    }
  }
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

export async function enqueue(executor: Executor, input: EnqueueInput): Promise<EnqueueResult> {
  const values = {
    name: input.name,
    payload: toJson(input.payload ?? {}) ?? '{}',
    queue: input.queue ?? 'default',
    ...(input.runAt ? { run_at: input.runAt } : {}),
    ...(input.priority !== undefined ? { priority: input.priority } : {}),
    ...(input.maxAttempts !== undefined ? { max_attempts: input.maxAttempts } : {}),
    dedupe_key: input.dedupeKey ?? null,
    request_id: input.requestId === undefined ? (currentRequestId() ?? null) : input.requestId,
  };
  const key = input.dedupeKey;
  if (key === undefined || key === null) {
    const job = await executor.insertInto('jobs').values(values).returningAll().executeTakeFirstOrThrow();
    return { job, created: true };
  }
  // Bounded: each round either inserts, finds the holder, or saw the holder finish in between.
  for (let round = 0; round < 5; round++) {
    const inserted = await executor
      .insertInto('jobs')
      .values(values)
      // The predicate is literal SQL so PostgreSQL can infer the partial unique index from it.
      .onConflict((oc) => oc.column('dedupe_key').where(sql<boolean>`dedupe_key is not null and state in ('queued', 'running')`).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { job: inserted, created: true };
    const existing = await executor
      .selectFrom('jobs')
      .selectAll()
      .where('dedupe_key', '=', key)
      .where('state', 'in', ['queued', 'running'])
      .executeTakeFirst();
    if (existing) return { job: existing, created: false };
  }
  throw new Error(`enqueue: dedupe key ${JSON.stringify(key)} kept changing hands; giving up`);
}

export async function getJob(executor: Executor, id: string): Promise<JobRow | undefined> {
  return executor.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * An UPDATE of one job that applies only while `workerId` still holds its lease
 * (and, when given, for the same attempt): a worker whose lease expired and was
 * taken over can no longer complete, fail, extend or release the job.
 */
function leasedUpdate(executor: Executor, id: string, workerId: string, opts: AttemptGuard, values: UpdateObject<Database, 'jobs'>) {
  const q = executor
    .updateTable('jobs')
    .set(values)
    .where('id', '=', id)
    .where('state', '=', 'running')
    .where('lease_owner', '=', workerId);
  return opts.attempt !== undefined ? q.where('attempts', '=', opts.attempt) : q;
}

/**
 * Claims up to `limit` due jobs for `workerId`, highest priority first, then
 * oldest run_at. SKIP LOCKED lets concurrent callers claim disjoint sets.
 */
export async function lease(executor: Executor, opts: LeaseOptions): Promise<JobRow[]> {
  if (opts.queues.length === 0) throw new Error('lease: at least one queue is required');
  const limit = Math.floor(opts.limit);
  if (!(limit > 0)) return [];
  // The locked ids come from a CTE: PostgreSQL never inlines a CTE with FOR
  // UPDATE, so the locking subquery runs exactly once whatever the plan.
  return executor
    .with('due', (db) =>
      db
        .selectFrom('jobs')
        .select('id')
        .where('state', '=', 'queued')
        .where('run_at', '<=', sql<Date>`now()`)
        .where('queue', 'in', [...opts.queues])
        .orderBy('priority', 'desc')
        .orderBy('run_at')
        .orderBy('id')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .with('leased', (db) =>
      db
        .updateTable('jobs')
        .set({
          state: 'running',
          lease_owner: opts.workerId,
          lease_expires_at: sql<Date>`now() + ${millis(opts.visibilityMs)}`,
          attempts: sql<number>`attempts + 1`,
          updated_at: sql<Date>`now()`,
        })
        .where('id', 'in', (eb) => eb.selectFrom('due').select('due.id'))
        // Redundant while the CTE holds the row locks; kept so a job can never be leased twice.
        .where('state', '=', 'queued')
        .returningAll(),
    )
    .selectFrom('leased')
    .selectAll()
    .orderBy('priority', 'desc')
    .orderBy('run_at')
    .orderBy('id')
    .execute();
}

export async function complete(
  executor: Executor,
  id: string,
  workerId: string,
  result?: unknown,
  opts: AttemptGuard = {},
): Promise<JobRow | undefined> {
  const q = leasedUpdate(executor, id, workerId, opts, {
      state: 'succeeded',
      result: toJson(result),
      finished_at: sql<Date>`now()`,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: sql<Date>`now()`,
    });
  return q.returningAll().executeTakeFirst();
}

function backoffParams(b: BackoffOptions = {}): { baseMs: number; factor: number; capMs: number; maxExponent: number } {
  const baseMs = b.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const factor = b.factor ?? DEFAULT_BACKOFF.factor;
  const capMs = b.capMs ?? DEFAULT_BACKOFF.capMs;
  if (!(baseMs > 0) || !(factor >= 1) || !(capMs >= baseMs)) {
    throw new RangeError(`backoff needs baseMs > 0, factor >= 1, capMs >= baseMs (got ${baseMs}, ${factor}, ${capMs})`);
  }
  // Past this exponent the cap applies anyway; bounding it keeps power() finite.
  const maxExponent = factor === 1 ? 0 : Math.ceil(Math.log(capMs / baseMs) / Math.log(factor));
  return { baseMs, factor, capMs, maxExponent };
}

/**
 * Records a failed attempt: back to 'queued' with run_at pushed out by the
 * backoff, or 'dead' (finished, error kept) once attempts reached max_attempts.
 */
export async function fail(
  executor: Executor,
  id: string,
  workerId: string,
  error: unknown,
  opts: FailOptions = {},
): Promise<JobRow | undefined> {
  const { baseMs, factor, capMs, maxExponent } = backoffParams(opts.backoff);
  const jitter = 0.5 + (opts.random ?? Math.random)() * 0.5;
  const delayMs = sql`(least(${capMs}::float8, ${baseMs}::float8 * power(${factor}::float8, least(attempts - 1, ${maxExponent}::int))) * ${jitter}::float8)`;
  const q = leasedUpdate(executor, id, workerId, opts, {
      state: sql<JobState>`case when attempts >= max_attempts then 'dead' else 'queued' end`,
      run_at: sql<Date>`case when attempts >= max_attempts then run_at else now() + ${delayMs} * interval '1 millisecond' end`,
      finished_at: sql<Date | null>`case when attempts >= max_attempts then now() else null end`,
      last_error: describeError(error),
      lease_owner: null,
      lease_expires_at: null,
      updated_at: sql<Date>`now()`,
    });
  return q.returningAll().executeTakeFirst();
}

/** Heartbeat: pushes the lease out to now + visibilityMs. False means the lease is gone. */
export async function extendLease(
  executor: Executor,
  id: string,
  workerId: string,
  visibilityMs: number,
  opts: AttemptGuard = {},
): Promise<boolean> {
  const q = leasedUpdate(executor, id, workerId, opts, { lease_expires_at: sql<Date>`now() + ${millis(visibilityMs)}`, updated_at: sql<Date>`now()` });
  const r = await q.executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/**
 * Hands a leased job back without counting the attempt (worker shutting down
 * before the handler finished); it is due again at once.
 */
export async function release(
  executor: Executor,
  id: string,
  workerId: string,
  reason: string,
  opts: AttemptGuard = {},
): Promise<JobRow | undefined> {
  const q = leasedUpdate(executor, id, workerId, opts, {
      state: 'queued',
      attempts: sql<number>`greatest(attempts - 1, 0)`,
      run_at: sql<Date>`now()`,
      last_error: reason,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: sql<Date>`now()`,
  });
  return q.returningAll().executeTakeFirst();
}

/**
 * Running jobs whose lease ran out go back to 'queued' (or 'dead' when no
 * attempt is left). Safe to call from every worker: rows are claimed with
 * SKIP LOCKED and a job completed meanwhile no longer matches.
 */
export async function recoverExpired(executor: Executor, opts: { limit?: number } = {}): Promise<JobRow[]> {
  return executor
    .with('expired', (db) =>
      db
        .selectFrom('jobs')
        .select('id')
        .where('state', '=', 'running')
        .where('lease_expires_at', '<', sql<Date>`now()`)
        .orderBy('lease_expires_at')
        .limit(opts.limit ?? 1000)
        .forUpdate()
        .skipLocked(),
    )
    .updateTable('jobs')
    .set({
      state: sql<JobState>`case when attempts >= max_attempts then 'dead' else 'queued' end`,
      finished_at: sql<Date | null>`case when attempts >= max_attempts then now() else null end`,
      last_error: LEASE_EXPIRED_ERROR,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: sql<Date>`now()`,
    })
    .where('id', 'in', (eb) => eb.selectFrom('expired').select('expired.id'))
    .where('state', '=', 'running')
    .returningAll()
    .execute();
}

/**
 * Requeues a dead letter with a fresh attempt budget (last_error is kept).
 * Undefined when the job is not dead or a live job already holds its dedupe key.
 */
export async function retryDead(executor: Executor, id: string): Promise<JobRow | undefined> {
  return executor
    .updateTable('jobs')
    .set({
      state: 'queued',
      attempts: 0,
      run_at: sql<Date>`now()`,
      finished_at: null,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .where('state', '=', 'dead')
    .where((eb) =>
      eb.or([
        eb('dedupe_key', 'is', null),
        eb.not(
          eb.exists(
            eb
              .selectFrom('jobs as live')
              .select(sql`1`.as('one'))
              .whereRef('live.dedupe_key', '=', 'jobs.dedupe_key')
              .where('live.state', 'in', ['queued', 'running']),
          ),
        ),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
}

/** Cancels a queued or running job (a running handler notices at its next heartbeat). */
export async function cancel(executor: Executor, id: string): Promise<JobRow | undefined> {
  return executor
    .updateTable('jobs')
    .set({
      state: 'cancelled',
      finished_at: sql<Date>`now()`,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .where('state', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
}

const zeroCounts = (): Record<JobState, number> => ({ queued: 0, running: 0, succeeded: 0, dead: 0, cancelled: 0 });

export async function stats(executor: Executor): Promise<JobStats> {
  const rows = await executor
    .selectFrom('jobs')
    .select(['queue', 'state', (eb) => eb.fn.countAll<bigint>().as('n')])
    .groupBy(['queue', 'state'])
    .execute();
  const out: JobStats = { byState: zeroCounts(), byQueue: {}, total: 0, oldestQueuedAgeSeconds: 0 };
  for (const r of rows) {
    const n = Number(r.n);
    out.byState[r.state] += n;
    (out.byQueue[r.queue] ??= zeroCounts())[r.state] += n;
    out.total += n;
  }
  const oldest = await executor
    .selectFrom('jobs')
    .select(sql<string | null>`extract(epoch from now() - min(run_at))`.as('age'))
    .where('state', '=', 'queued')
    .where('run_at', '<=', sql<Date>`now()`)
    .executeTakeFirst();
  out.oldestQueuedAgeSeconds = oldest?.age == null ? 0 : Math.max(0, Number(oldest.age));
  return out;
}

// The cursor carries created_at as microsecond text: a JS Date would drop the
// microseconds and skip or repeat rows created within the same millisecond.
const CURSOR_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export { isUuid };

const encodeCursor = (ts: string, id: string): string => encodeKey({ t: ts, i: id });

function decodeCursor(cursor: string): { t: string; i: string } {
  const key = decodeKey(cursor, ['t', 'i'] as const)!;
  if (!CURSOR_TS.test(key.t) || !isUuid(key.i)) throw invalid('/query/cursor', 'is not a cursor returned by this listing');
  return key;
}

/** Newest first (created_at desc, id desc), keyset-paginated. */
export async function listJobs(executor: Executor, opts: ListJobsOptions = {}): Promise<JobPage> {
  const limit = Math.min(500, Math.max(1, Math.floor(opts.limit ?? 50)));
  let q = executor
    .selectFrom('jobs')
    .selectAll()
    .select(sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_ts'))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (opts.state) q = q.where('state', '=', opts.state);
  if (opts.queue) q = q.where('queue', '=', opts.queue);
  if (opts.cursor) {
    const c = decodeCursor(opts.cursor);
    q = q.where(sql<boolean>`(created_at, id) < (${c.t}::timestamptz, ${c.i}::uuid)`);
  }
  const rows = await q.execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ cursor_ts: _ts, ...job }) => job),
    nextCursor: rows.length > limit && last ? encodeCursor(last.cursor_ts, last.id) : null,
  };
}

export type FinishedState = 'succeeded' | 'dead' | 'cancelled';

/** Deletes finished jobs whose finished_at is before `olderThan`; returns how many (at most `limit`). */
export async function purgeFinished(
  executor: Executor,
  olderThan: Date,
  opts: { states?: readonly FinishedState[]; limit?: number } = {},
): Promise<number> {
  const states = opts.states ?? ['succeeded', 'cancelled', 'dead'];
  if (states.length === 0) return 0;
  const r = await executor
    .deleteFrom('jobs')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('jobs as old')
        .select('old.id')
        .where('old.state', 'in', [...states])
        .where('old.finished_at', '<', olderThan)
        .limit(opts.limit ?? 10_000),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
