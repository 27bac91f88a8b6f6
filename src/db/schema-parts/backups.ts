// Kysely row types for the backups tables (see migrations/*_backups.ts).
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string | T, string | T>;

export type BackupKind = 'manual' | 'scheduled' | 'pre-migrate' | 'safety';
export type BackupRunStatus = 'running' | 'succeeded' | 'failed';

export interface BackupsTable {
  id: string;
  installation_id: string | null;
  kind: Generated<BackupKind>;
  status: BackupRunStatus;
  note: string | null;
  started_at: Timestamp;
  snapshot_at: Timestamp | null;
  finished_at: Timestamp | null;
  duration_seconds: number | null;
  size_bytes: ColumnType<bigint | null, bigint | number | null | undefined, bigint | number | null>;
  archive_sha256: string | null;
  engine: string | null;
  migration: string | null;
  finhub_version: string | null;
  error: string | null;
  verified_level: Generated<number>;
  verified_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface BackupCopiesTable {
  backup_id: string;
  location: string;
  stored_at: Timestamp;
  size_bytes: ColumnType<bigint | null, bigint | number | null | undefined, bigint | number | null>;
  sha256: string | null;
}

export interface BackupVerificationsTable {
  id: Generated<string>;
  backup_id: string;
  level_requested: number;
  level_reached: number;
  ok: boolean;
  started_at: Timestamp;
  finished_at: Timestamp;
  error: string | null;
  details: Json<Record<string, unknown>>;
}

export interface BackupDrillsTable {
  id: Generated<string>;
  backup_id: string | null;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  status: BackupRunStatus;
  restore_seconds: number | null;
  rpo_seconds: number | null;
  level_reached: number | null;
  error: string | null;
  details: Json<Record<string, unknown>>;
}

/** The last push to each offsite target (migration *_backup_offsite_attempts). */
export interface BackupOffsiteAttemptsTable {
  location: string;
  attempted_at: Timestamp;
  outcome: 'success' | 'failure';
  backup_id: string | null;
  error: string | null;
}

export interface BackupsTables {
  backups: BackupsTable;
  backup_copies: BackupCopiesTable;
  backup_verifications: BackupVerificationsTable;
  backup_drills: BackupDrillsTable;
  backup_offsite_attempts: BackupOffsiteAttemptsTable;
}
