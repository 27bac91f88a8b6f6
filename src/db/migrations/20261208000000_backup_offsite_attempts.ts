// The last push to each offsite target, success or failure, so health checks
// and `finhub doctor` in any process can say whether the newest attempt failed
// and why. Written where the copy counter finhub_backup_offsite_copies_total
// is counted (src/backup/offsite/offsite.service.ts); the newest copy itself
// stays backup_copies' business. Part of the backup catalogue: never in a
// backup (src/backup/exclusions.ts).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
create table backup_offsite_attempts (
  -- The offsite target's name (backup_copies.location).
  location text primary key check (length(location) between 1 and 100),
  attempted_at timestamptz not null,
  outcome text not null check (outcome in ('success', 'failure')),
  -- The backup that was being copied (null when the target could not even be listed).
  backup_id text,
  error text check (length(error) <= 2000)
);
`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('drop table if exists backup_offsite_attempts;').execute(db);
}
