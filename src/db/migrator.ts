// Migrations run through Kysely's Migrator, which takes a lock (a lock table plus
// pg_advisory_xact_lock on PostgreSQL) so two processes never migrate at once.
import { Migrator, type MigrationResult, type MigrationInfo } from 'kysely';
import type { Db } from './create-db.ts';
import { migrations } from './migrations/index.ts';

export function createMigrator(db: Db): Migrator {
  return new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'finhub_migrations',
    migrationLockTableName: 'finhub_migrations_lock',
  });
}

export interface MigrationStatus {
  name: string;
  executedAt: Date | null;
}

export async function migrationStatus(db: Db): Promise<MigrationStatus[]> {
  const infos: readonly MigrationInfo[] = await createMigrator(db).getMigrations();
  return infos.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }));
}

export async function pendingMigrations(db: Db): Promise<string[]> {
  return (await migrationStatus(db)).filter((m) => !m.executedAt).map((m) => m.name);
}

export class MigrationError extends Error {
  constructor(message: string, readonly results: MigrationResult[], cause: unknown) {
    super(message, { cause });
    this.name = 'MigrationError';
  }
}

async function run(p: Promise<{ error?: unknown; results?: MigrationResult[] }>, what: string): Promise<MigrationResult[]> {
  const { error, results } = await p;
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    const msg = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`${what} failed${failed ? ` at ${failed.migrationName}` : ''}: ${msg}`, results ?? [], error);
  }
  return results ?? [];
}

export const migrateUp = (db: Db) => run(createMigrator(db).migrateToLatest(), 'migrate up');
export const migrateDown = (db: Db) => run(createMigrator(db).migrateDown(), 'migrate down');
/** Down to an empty schema (tests and `finhub migrate down --all`). */
export async function migrateDownAll(db: Db): Promise<MigrationResult[]> {
  const { NO_MIGRATIONS } = await import('kysely');
  return run(createMigrator(db).migrateTo(NO_MIGRATIONS), 'migrate down --all');
}

export async function currentMigration(db: Db): Promise<string | null> {
  const done = (await migrationStatus(db)).filter((m) => m.executedAt);
  return done.length ? done[done.length - 1]!.name : null;
}
