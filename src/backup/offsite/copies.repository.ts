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
