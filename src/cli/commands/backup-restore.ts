import type { RestoreTarget } from '../../backup/backup.service.ts';
import { UsageError, type Command } from '../context.ts';
import { sourceStore } from './backup-offsite.ts';
import { withBackupErrors } from './backup-shared.ts';

export const backupRestoreCommand: Command = {
  name: 'backup restore',
  summary: 'Restore a backup into this database, another PostgreSQL database or an embedded data directory',
  usage: 'finhub backup restore ID [--to DATABASE_URL | --data-dir DIR] [--force] [--identity FILE] [--dir DIR | --from NAME] [--json]',
  needsDb: true,
  pathOptions: ['data-dir', 'identity', 'dir'],
  options: {
    to: { type: 'string', description: 'restore into this PostgreSQL database (postgres://…)' },
    'data-dir': { type: 'string', description: 'restore into the embedded database in this directory' },
    force: { type: 'boolean', description: 'replace a target that holds data (a safety backup of it is taken first)' },
    identity: { type: 'string', description: 'age private key file (default FINHUB_BACKUP_IDENTITY_FILE)' },
    dir: { type: 'string', description: 'backup directory to read (default: the configured one)' },
    from: { type: 'string', description: 'read the backup straight from this offsite target (offsite-dir or s3)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give exactly one backup id (see finhub backup list)');
    const to = values.to as string | undefined;
    const dataDir = values['data-dir'] as string | undefined;
    if (to && dataDir) throw new UsageError('give either --to or --data-dir, not both');
    if (to && !/^postgres(ql)?:\/\//.test(to)) throw new UsageError('--to must be a postgres:// or postgresql:// URL');
    const target: RestoreTarget = to ? { kind: 'postgres', url: to } : dataDir ? { kind: 'embedded', dataDir } : { kind: 'configured' };
    const id = positionals[0]!;
    return withBackupErrors(ctx.io, async () => {
      const c = await ctx.container();
      try {
        const r = await c.backups.restore(id, target, {
          force: !!values.force,
          identityFile: values.identity as string | undefined,
          store: sourceStore(c, values),
          onProgress: values.json ? undefined : ctx.io.out,
        });
        if (values.json) {
          ctx.io.out(JSON.stringify({ ok: true, id, target: r.target, rows: r.rows, tables: r.tables.length, backup_migration: r.backupMigration, migrations_applied: r.migrationsApplied, safety_backup: r.safetyBackup, seconds: r.seconds }));
          return 0;
        }
        ctx.io.out(`restored backup ${id} into ${r.target}: ${r.tables.length} tables, ${r.rows} rows in ${r.seconds.total.toFixed(1)} s`);
        if (r.migrationsApplied.length) ctx.io.out(`  the backup was at ${r.backupMigration}; applied newer migrations: ${r.migrationsApplied.join(', ')}`);
        if (r.safetyBackup) ctx.io.out(`  the previous content is in safety backup ${r.safetyBackup.id} (${r.safetyBackup.path})`);
        ctx.io.out('  sessions and personal access tokens are not in backups: users log in again and create new tokens');
        return 0;
      } catch (e) {
        // Imported here, not at the top: forwarding this command to a running server must not load the restore code.
        const { RestoreError } = await import('../../backup/restore.ts');
        if (e instanceof RestoreError) {
          if (values.json) ctx.io.out(JSON.stringify({ ok: false, id, error: e.message }));
          ctx.io.err(`error: ${e.message}`);
          return 1;
        }
        throw e;
      }
    });
  },
};
