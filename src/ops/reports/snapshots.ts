// Fleet-wide snapshots for capacity trends: row counts, database size and the
// job queue, written by the hourly `ops.snapshot` job (one per slot, whichever
// worker runs it).
import { sql, type Selectable } from 'kysely';
import type { Container } from '../../app/container.ts';
import type { OpsSnapshotsTable } from '../../db/schema-parts/ops.ts';
import type { Executor } from '../../shared/executor.ts';
import { queueStats } from '../health/queue-stats.ts';
import { databaseSizeBytes } from '../health/system.ts';

export type SnapshotRow = Selectable<OpsSnapshotsTable>;

export const SNAPSHOT_JOB = 'ops.snapshot';

export interface Counts {
  users: number;
  ledgers: number;
  transactions: number;
}

export async function countRows(ex: Executor): Promise<Counts> {
  const r = await sql<{ users: bigint | string; ledgers: bigint | string; transactions: bigint | string }>`
    select (select count(*) from users) as users,
           (select count(*) from ledgers) as ledgers,
           (select count(*) from transactions where parent_id is null) as transactions`.execute(ex);
  const row = r.rows[0]!;
  return { users: Number(row.users), ledgers: Number(row.ledgers), transactions: Number(row.transactions) };
}

export async function takeSnapshot(c: Pick<Container, 'db'>): Promise<SnapshotRow> {
  const k = c.db.kysely;
  const [counts, q] = await Promise.all([countRows(k), queueStats(k)]);
  // Size is best effort: a snapshot without it is still worth keeping.
  const size = await databaseSizeBytes(c.db).catch(() => null);
  return k
    .insertInto('ops_snapshots')
    .values({
      users: counts.users,
      ledgers: counts.ledgers,
      transactions: counts.transactions,
      database_size_bytes: size,
      jobs_queued: q.queued,
      jobs_running: q.running,
      jobs_dead: q.dead,
      jobs_oldest_queued_age_seconds: q.oldestQueuedAgeSeconds,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The last snapshot of each UTC day in [from, to], oldest first (enough for a trend line). */
export async function dailySnapshots(ex: Executor, from: Date, to: Date): Promise<SnapshotRow[]> {
  const r = await sql<SnapshotRow>`
    select distinct on (date_trunc('day', taken_at at time zone 'UTC')) *
    from ops_snapshots
    where taken_at >= ${from} and taken_at <= ${to}
    order by date_trunc('day', taken_at at time zone 'UTC'), taken_at desc`.execute(ex);
  return r.rows;
}
