import { moveToPostgres } from '../../backup/move-to-postgres.ts';
import { UsageError, type Command } from '../context.ts';
import { withBackupErrors } from './backup-shared.ts';

export const migrateToPostgresCommand: Command = {
  name: 'migrate-to-postgres',
  summary: 'Move this embedded installation to an empty PostgreSQL database (backup, restore, verify L4, print the new config); server stopped',
  usage: 'finhub migrate-to-postgres DATABASE_URL [--identity FILE] [--json]',
  needsDb: true,
  pathOptions: ['identity'],
  options: {
    identity: { type: 'string', description: 'age private key file (default FINHUB_BACKUP_IDENTITY_FILE); needed to restore the backup into PostgreSQL' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give the target database: finhub migrate-to-postgres postgres://USER:PASSWORD@HOST:5432/DB');
    const url = positionals[0]!;
    if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError('DATABASE_URL must be a postgres:// or postgresql:// URL');
    return withBackupErrors(ctx.io, async () => {
      const c = await ctx.container();
      const r = await moveToPostgres(c, { url, identityFile: values.identity as string | undefined, onProgress: values.json ? undefined : ctx.io.out });
      const newConfig = { DATABASE_URL: r.target, FINHUB_BACKUP_DIR: r.backupDir };
      if (values.json) {
        ctx.io.out(
          JSON.stringify({
            ok: true, backup_id: r.backupId, backup_path: r.backupPath, target: r.target, tables: r.tables, rows: r.rows, verified_level: 4, steps: r.steps, seconds: r.seconds,
            new_config: newConfig, data_dir: r.dataDir, maintenance_on: r.maintenanceOn, marker_file: r.markerFile, catalogue_rows: r.catalogueRows,
          }),
        );
        return 0;
      }
      for (const s of r.steps) ctx.io.out(`  L${s.level} ok   ${s.detail}`);
      ctx.io.out(`moved to PostgreSQL in ${r.seconds.total.toFixed(1)} s: backup ${r.backupId} (${r.tables} tables, ${r.rows} rows) restored into ${r.target} and verified at level 4.`);
      ctx.io.out('');
      ctx.io.out('New configuration (wherever finhub gets its environment: systemd unit, .env file, container):');
      ctx.io.out(`  DATABASE_URL=${r.target}    <- the URL you gave, with its real password`);
      ctx.io.out(`  FINHUB_BACKUP_DIR=${r.backupDir}`);
      ctx.io.out('  (keep FINHUB_BACKUP_RECIPIENTS, FINHUB_BACKUP_IDENTITY_FILE and the offsite settings as they are; FINHUB_DATA_DIR is no longer used)');
      ctx.io.out('');
      ctx.io.out('Next:');
      ctx.io.out('  1. Start finhub with that configuration (node bin/finhub.js serve). On PostgreSQL, run `finhub migrate up` before starting an upgraded finhub.');
      ctx.io.out('  2. Everybody logs in again, and personal access tokens must be created anew: sessions and token secrets are never copied.');
      ctx.io.out(`  3. ${r.dataDir} is no longer used.${r.maintenanceOn ? ' Its database is now in maintenance mode (changes refused), so an accidental start of the old setup cannot drift apart.' : ''}` +
        ` Keep it until you are satisfied, then archive it${r.backupDir.startsWith(r.dataDir) ? `; the backups in ${r.backupDir} stay in use, so move them out first and point FINHUB_BACKUP_DIR at the new place` : ''}.`);
      ctx.io.out(`  Rollback: unset DATABASE_URL, run \`finhub maintenance off\`, start finhub: the embedded database is exactly as it was before the move.`);
      return 0;
    });
  },
};
