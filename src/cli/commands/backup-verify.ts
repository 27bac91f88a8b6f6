import { AppError } from '../../shared/app-error.ts';
import { UsageError, type Command } from '../context.ts';
import { sourceStore } from './backup-offsite.ts';
import { parseLevel, reportJson, reportLines, withBackupErrors } from './backup-shared.ts';

export const backupVerifyCommand: Command = {
  name: 'backup verify',
  summary: 'Verify a backup: L1 checksums, L2 decrypt, L3 restore into scratch and compare, L4 invariants and app start',
  usage: 'finhub backup verify [ID | --latest] [--level 1-4] [--identity FILE] [--dir DIR | --from NAME] [--json]',
  needsDb: true,
  pathOptions: ['identity', 'dir'],
  options: {
    latest: { type: 'boolean', description: "verify this database's newest backup (the default without ID)" },
    level: { type: 'string', description: 'how deep to check, 1-4 (default 2, or 1 without a key)' },
    identity: { type: 'string', description: 'age private key file (default FINHUB_BACKUP_IDENTITY_FILE); needed from level 2' },
    dir: { type: 'string', description: 'backup directory to read (default: the configured one)' },
    from: { type: 'string', description: 'check the copy in this offsite target (offsite-dir or s3)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values, positionals) {
    if (positionals.length > 1) throw new UsageError('give at most one backup id');
    if (positionals.length === 1 && values.latest) throw new UsageError('give either an ID or --latest');
    return withBackupErrors(ctx.io, async () => {
      const c = await ctx.container();
      // Without any key only level 1 is possible: default to it (and say so) rather than fail.
      const haveKey = !!(values.identity ?? c.config.backupIdentityFile);
      const level = parseLevel(values.level, haveKey ? 2 : 1);
      if (values.level === undefined && !haveKey && !values.json) ctx.io.out('note: no identity file (--identity or FINHUB_BACKUP_IDENTITY_FILE): checking level 1 only (manifest and checksums)');
      const store = sourceStore(c, values);
      const id = positionals[0] ?? (await c.backups.latestId({ store }));
      if (!id) throw new AppError('NOT_FOUND', 'there are no backups to verify (make one with: finhub backup create)');
      const report = await c.backups.verify(id, level, {
        identityFile: values.identity as string | undefined,
        store,
        onProgress: values.json ? undefined : ctx.io.out,
      });
      if (values.json) ctx.io.out(JSON.stringify(reportJson(report)));
      else for (const l of reportLines(report)) (report.ok ? ctx.io.out : ctx.io.err)(l);
      return report.ok ? 0 : 1;
    });
  },
};
