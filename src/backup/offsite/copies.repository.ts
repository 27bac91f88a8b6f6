// Offsite rows of the backup catalogue (backup_copies with a target name as
// location). Writes are bookkeeping: the stores themselves are the truth.
import { sql } from 'kysely';
import type { Executor } from '../../shared/executor.ts';

export async function deleteCopy(ex: Executor, backupId: string, location: string): Promise<void> {
  await ex.deleteFrom('backup_copies').where('backup_id', '=', backupId).where('location', '=', location).execute();
}

/** Per offsite location: snapshot time of the newest backup that has a copy there. */
export async function newestCopyPerLocation(ex: Executor, locations: readonly string[]): Promise<Map<string, Date>> {
  const out = new Map<string, Date>();
  if (locations.length === 0) return out;
  const rows = await ex
    .selectFrom('backup_copies as c')
    .innerJoin('backups as b', 'b.id', 'c.backup_id')
    .select(['c.location', sql<Date | null>`max(b.snapshot_at)`.as('newest')])
    .where('c.location', 'in', [...locations])
    .groupBy('c.location')
    .execute();
  for (const r of rows) if (r.newest) out.set(r.location, new Date(r.newest));
  return out;
}

export interface OffsiteAttempt {
  at: Date;
  outcome: 'success' | 'failure';
  backupId: string | null;
  error: string | null;
}

/** Records the latest push to a target (one row per target, replaced each time). */
export async function recordAttempt(ex: Executor, location: string, a: OffsiteAttempt): Promise<void> {
  const values = { attempted_at: a.at, outcome: a.outcome, backup_id: a.backupId, error: a.error === null ? null : a.error.slice(0, 2000) };
  await ex
    .insertInto('backup_offsite_attempts')
    .values({ location, ...values })
    .onConflict((oc) => oc.column('location').doUpdateSet(values))
    .execute();
}

/** Per offsite location: its latest push attempt. Empty before the migration that adds the table has run. */
export async function lastAttemptPerLocation(ex: Executor, locations: readonly string[]): Promise<Map<string, OffsiteAttempt>> {
  const out = new Map<string, OffsiteAttempt>();
  if (locations.length === 0) return out;
  let rows;
  try {
    rows = await ex.selectFrom('backup_offsite_attempts').selectAll().where('location', 'in', [...locations]).execute();
  } catch (e) {
    if ((e as { code?: string }).code === '42P01') return out;
    throw e;
  }
  for (const r of rows) out.set(r.location, { at: new Date(r.attempted_at), outcome: r.outcome, backupId: r.backup_id, error: r.error });
  return out;
}
