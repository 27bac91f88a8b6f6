// The live part of the job queue (queued, running, dead), cheap enough for
// health checks, gauges and snapshots: finished jobs are never counted, so the
// cost does not grow with the queue's history.
import { sql } from 'kysely';
import type { Executor } from '../../shared/executor.ts';

export interface QueueStats {
  /** Queued jobs per queue (due or scheduled for later). */
  queuedByQueue: Record<string, number>;
  queued: number;
  running: number;
  dead: number;
  /** Seconds the longest-waiting due job has been runnable; 0 when none waits. */
  oldestQueuedAgeSeconds: number;
}

export async function queueStats(ex: Executor): Promise<QueueStats> {
  const [rows, oldest] = await Promise.all([
    ex
      .selectFrom('jobs')
      .select(['queue', 'state', (eb) => eb.fn.countAll<bigint>().as('n')])
      .where('state', 'in', ['queued', 'running', 'dead'])
      .groupBy(['queue', 'state'])
      .execute(),
    ex
      .selectFrom('jobs')
      .select(sql<string | number | null>`extract(epoch from now() - min(run_at))`.as('age'))
      .where('state', '=', 'queued')
      .where('run_at', '<=', sql<Date>`now()`)
      .executeTakeFirst(),
  ]);
  const out: QueueStats = { queuedByQueue: {}, queued: 0, running: 0, dead: 0, oldestQueuedAgeSeconds: 0 };
  for (const r of rows) {
    const n = Number(r.n);
    if (r.state === 'queued') {
      out.queuedByQueue[r.queue] = (out.queuedByQueue[r.queue] ?? 0) + n;
      out.queued += n;
    } else if (r.state === 'running') out.running += n;
    else out.dead += n;
  }
  out.oldestQueuedAgeSeconds = oldest?.age == null ? 0 : Math.max(0, Number(oldest.age));
  return out;
}

/** Memoises an async source for `ttlMs`; concurrent callers share one load. */
export function cached<T>(ttlMs: number, load: () => Promise<T>): () => Promise<T> {
  let value: { at: number; v: T } | undefined;
  let pending: Promise<T> | undefined;
  return async () => {
    if (value && Date.now() - value.at < ttlMs) return value.v;
    pending ??= load()
      .then((v) => {
        value = { at: Date.now(), v };
        return v;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
