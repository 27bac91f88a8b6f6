// The backup taken before pending migrations change the schema: by
// `finhub migrate up` (skippable with --no-backup), and by `finhub serve` and
// other commands that migrate an embedded database on start.
import type { Container } from '../app/container.ts';
import { pendingMigrations, currentMigration } from '../db/migrator.ts';
import { loadRecipients } from './keys.ts';

/**
 * Before pending migrations change the schema, take a backup (when backups
 * are configured and the database already has a schema to lose). A failed
 * backup stops the migration: nothing has changed yet.
 */
export async function backupBeforeMigrating(c: Container, say: (line: string) => void, skip = false): Promise<void> {
  const pending = await pendingMigrations(c.db);
  if (pending.length === 0) return;
  if (skip) {
    say(`--no-backup: migrating without a backup first (${pending.length} pending)`);
    return;
  }
  if (!(await currentMigration(c.db))) return; // an empty database: nothing to back up
  if ((await loadRecipients(c.config)).length === 0) {
    say('note: no backup taken before migrating: backups are not configured (set FINHUB_BACKUP_RECIPIENTS; see finhub backup keygen)');
    return;
  }
  say(`backing up before applying ${pending.length} migration(s)…`);
  const b = await c.backups.create({ kind: 'pre-migrate', note: `before migrating to ${pending[pending.length - 1]}` });
  say(`backup ${b.id} written to ${b.path} (restore it with: finhub backup restore ${b.id} --force)`);
}

