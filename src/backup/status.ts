// What the rest of finhub (health, doctor, metrics, ops reports) may ask about
// backups, read from the backup catalogue (see catalog.repository.ts).
//
// Times are the backups' snapshot times (the moment their data reflects), so
// "now - lastVerifiedAt" is the recovery point a proven restore would give.
import { sql } from 'kysely';
import type { Db } from '../db/create-db.ts';

export interface BackupStatus {
  /** Snapshot time of the newest successfully created backup (any verification level). */
  lastSuccessAt: Date | null;
  /** Snapshot time of the newest backup verified at level 3 or higher. */
  lastVerifiedAt: Date | null;
  /** Archive size of the newest successful backup. */
  lastSizeBytes: number | null;
  /** Newest successful restore drill, with its measured restore duration (RTO). */
  lastDrillAt: Date | null;
  lastDrillSeconds: number | null;
  /** Successful backups in the catalogue. */
  count: number;
  /** How long the newest successful backup took to create. */
  lastDurationSeconds?: number | null;
  /** Recovery point measured by the newest successful drill. */
  lastDrillRpoSeconds?: number | null;
  /** Newest failed backup run, if it is newer than the newest success. */
  lastFailureAt?: Date | null;
}

export const EMPTY_BACKUP_STATUS: BackupStatus = Object.freeze({
  lastSuccessAt: null, lastVerifiedAt: null, lastSizeBytes: null, lastDrillAt: null, lastDrillSeconds: null, count: 0,
  lastDurationSeconds: null, lastDrillRpoSeconds: null, lastFailureAt: null,
});

const toDate = (v: unknown): Date | null => (v == null ? null : v instanceof Date ? v : new Date(String(v)));
const toNum = (v: unknown): number | null => (v == null ? null : Number(v));

export async function getBackupStatus(db: Db): Promise<BackupStatus> {
  let rows;
  try {
    rows = await sql<{
      last_success_at: Date | null;
      last_verified_at: Date | null;
      last_size: bigint | null;
      last_duration: number | null;
      count: bigint;
      last_failure_at: Date | null;
      drill_at: Date | null;
      drill_seconds: number | null;
      drill_rpo: number | null;
    }>`
      with ok as (select * from backups where status = 'succeeded'),
           newest as (select size_bytes, duration_seconds from ok order by snapshot_at desc nulls last, id desc limit 1),
           drill as (select finished_at, restore_seconds, rpo_seconds from backup_drills where status = 'succeeded' order by finished_at desc limit 1)
      select (select max(snapshot_at) from ok) as last_success_at,
             (select max(snapshot_at) from ok where verified_level >= 3) as last_verified_at,
             (select size_bytes from newest) as last_size,
             (select duration_seconds from newest) as last_duration,
             (select count(*) from ok) as count,
             (select max(started_at) from backups where status = 'failed'
               and started_at > coalesce((select max(started_at) from ok), '-infinity'::timestamptz)) as last_failure_at,
             (select finished_at from drill) as drill_at,
             (select restore_seconds from drill) as drill_seconds,
             (select rpo_seconds from drill) as drill_rpo`.execute(db.kysely);
  } catch (e) {
    // Before the backups migration has run (e.g. PostgreSQL with pending migrations) there is nothing to report.
    if ((e as { code?: string }).code === '42P01') return { ...EMPTY_BACKUP_STATUS };
    throw e;
  }
  const r = rows.rows[0]!;
  return {
    lastSuccessAt: toDate(r.last_success_at),
    lastVerifiedAt: toDate(r.last_verified_at),
    lastSizeBytes: toNum(r.last_size),
    lastDrillAt: toDate(r.drill_at),
    lastDrillSeconds: toNum(r.drill_seconds),
    count: Number(r.count),
    lastDurationSeconds: toNum(r.last_duration),
    lastDrillRpoSeconds: toNum(r.drill_rpo),
    lastFailureAt: toDate(r.last_failure_at),
  };
}
