// The backup catalogue: one row per backup archive this installation made or
// found in its backup directory, the verifications and restore drills run on
// them, and where copies are stored (local directory, offsite targets).
//
// The catalogue is a convenience, not the source of truth: every archive has a
// manifest (and a verification record) beside it, so `finhub backup list`
// works from the directory alone after the database itself was lost. These
// tables are therefore never part of a backup (see src/backup/exclusions.ts).
//
// installation_id (in system_settings) names the database a backup came from,
// so backups of several databases sharing one directory can be told apart. It
// travels inside backups: a restored database keeps its installation id.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
create table backups (
  id text primary key check (id ~ '^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$'),
  installation_id text,
  kind text not null default 'manual' check (kind in ('manual', 'scheduled', 'pre-migrate', 'safety')),
  status text not null check (status in ('running', 'succeeded', 'failed')),
  note text check (length(note) <= 500),
  started_at timestamptz not null default now(),
  snapshot_at timestamptz,
  finished_at timestamptz,
  duration_seconds double precision,
  size_bytes bigint,
  archive_sha256 text,
  engine text,
  migration text,
  finhub_version text,
  error text,
  -- Highest verification level this archive passed (0 = never verified).
  verified_level smallint not null default 0 check (verified_level between 0 and 4),
  verified_at timestamptz,
  updated_at timestamptz not null default now()
);
create index backups_snapshot_idx on backups (snapshot_at desc nulls last, id desc);

create table backup_copies (
  backup_id text not null references backups(id) on delete cascade,
  -- 'local' for the backup directory, otherwise the offsite target's name.
  location text not null check (length(location) between 1 and 100),
  stored_at timestamptz not null default now(),
  size_bytes bigint,
  sha256 text,
  primary key (backup_id, location)
);

create table backup_verifications (
  id uuid primary key default gen_random_uuid(),
  backup_id text not null references backups(id) on delete cascade,
  level_requested smallint not null check (level_requested between 1 and 4),
  level_reached smallint not null check (level_reached between 0 and 4),
  ok boolean not null,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  error text,
  details jsonb not null default '{}'
);
create index backup_verifications_backup_idx on backup_verifications (backup_id, finished_at desc);

create table backup_drills (
  id uuid primary key default gen_random_uuid(),
  backup_id text,
  started_at timestamptz not null,
  finished_at timestamptz,
  status text not null check (status in ('running', 'succeeded', 'failed')),
  -- Measured RTO: how long the restore itself took.
  restore_seconds double precision,
  -- Measured RPO: age of the newest verified backup when the drill finished.
  rpo_seconds double precision,
  level_reached smallint,
  error text,
  details jsonb not null default '{}'
);
create index backup_drills_started_idx on backup_drills (started_at desc);

insert into system_settings (key, value) values ('installation_id', to_jsonb(gen_random_uuid()::text))
  on conflict (key) do nothing;
`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
drop table if exists backup_drills;
drop table if exists backup_verifications;
drop table if exists backup_copies;
drop table if exists backups;
delete from system_settings where key = 'installation_id';
`).execute(db);
}
