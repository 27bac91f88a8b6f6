import { loadRecipients } from '../../backup/keys.ts';
import { currentMigration, migrateDown, migrateDownAll, migrateUp, migrationStatus, pendingMigrations } from '../../db/migrator.ts';
import type { Container } from '../../app/container.ts';
import type { Command, Io } from '../context.ts';
import { UsageError } from '../context.ts';

/**
 * Before pending migrations change the schema, take a backup (when backups
 * are configured and the database already has a schema to lose). A failed
 * backup stops the migration: nothing has changed yet.
 */
async function backupBeforeMigrating(c: Container, io: Io, skip: boolean): Promise<void> {
  const pending = await pendingMigrations(c.db);
  if (pending.length === 0) return;
  if (skip) {
    io.out(`--no-backup: migrating without a backup first (${pending.length} pending)`);
    return;
  }
  if (!(await currentMigration(c.db))) return; // an empty database: nothing to back up
  if ((await loadRecipients(c.config)).length === 0) {
    io.out('note: no backup taken before migrating: backups are not configured (set FINHUB_BACKUP_RECIPIENTS; see finhub backup keygen)');
    return;
  }
  io.out(`backing up before applying ${pending.length} migration(s)…`);
  const b = await c.backups.create({ kind: 'pre-migrate', note: `before migrating to ${pending[pending.length - 1]}` });
  io.out(`backup ${b.id} written to ${b.path} (restore it with: finhub backup restore ${b.id} --force)`);
}

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply, roll back or list database migrations',
  usage: 'finhub migrate up [--no-backup] | down [--all] | status [--json]',
  needsDb: true,
  options: {
    all: { type: 'boolean', description: 'with down: roll back every migration (empties the schema)' },
    'no-backup': { type: 'boolean', description: 'with up: do not take a backup before applying pending migrations' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values, positionals) {
    const [action] = positionals;
    const c = await ctx.container();
    if (action === 'up') {
      await backupBeforeMigrating(c, ctx.io, !!values['no-backup']);
      const results = await migrateUp(c.db);
      for (const r of results) ctx.io.out(`applied ${r.migrationName}`);
      ctx.io.out(results.length ? `database is at ${await currentMigration(c.db)}` : 'nothing to apply; database is up to date');
      return 0;
    }
    if (action === 'down') {
      const results = values.all ? await migrateDownAll(c.db) : await migrateDown(c.db);
      for (const r of results) ctx.io.out(`rolled back ${r.migrationName}`);
      if (!results.length) ctx.io.out('nothing to roll back');
      return 0;
    }
    if (action === 'status') {
      const status = await migrationStatus(c.db);
      if (values.json) ctx.io.out(JSON.stringify(status.map((s) => ({ name: s.name, applied: !!s.executedAt, executed_at: s.executedAt }))));
      else for (const s of status) ctx.io.out(`${s.executedAt ? 'applied' : 'pending'}  ${s.name}${s.executedAt ? `  ${s.executedAt.toISOString()}` : ''}`);
      return 0;
    }
    throw new UsageError('migrate needs one of: up, down, status');
  },
};
