// `finhub backup push` and `finhub backup pull`: copies between the backup
// directory and the offsite targets (FINHUB_BACKUP_OFFSITE_DIR, FINHUB_BACKUP_S3_*).
// Also the store lookup behind `--remote` / `--from` of list, verify and restore.
import type { Container } from '../../app/container.ts';
import type { CopyResult } from '../../backup/offsite/offsite.service.ts';
import { LocalDirStore, type BackupStore } from '../../backup/store.ts';
import { AppError } from '../../shared/app-error.ts';
import { requireString, UsageError, type Command } from '../context.ts';
import { formatBytes, withBackupErrors } from './backup-shared.ts';

/** The store a command reads from: an offsite target (--from/--remote), another directory (--dir), or the backup directory. */
export function sourceStore(c: Container, values: Record<string, unknown>, option: 'from' | 'remote' = 'from'): BackupStore | undefined {
  const remote = values[option] as string | undefined;
  const dir = values.dir as string | undefined;
  if (remote && dir) throw new UsageError(`give either --${option} or --dir, not both`);
  if (remote) return c.offsite.target(remote);
  return dir ? new LocalDirStore(dir) : undefined;
}

const copyLine = (r: CopyResult, where: string) =>
  r.outcome === 'copied'
    ? `copied  ${r.id} to ${r.target} (${where}): ${formatBytes(r.bytes)} in ${r.seconds.toFixed(1)} s, checked`
    : r.outcome === 'present'
      ? `present ${r.id} in ${r.target} (intact, same manifest)`
      : `FAILED  ${r.id} to ${r.target}: ${r.error}`;

const copyJson = (r: CopyResult) => ({ id: r.id, target: r.target, outcome: r.outcome, bytes: r.bytes, seconds: r.seconds, error: r.error ?? null });

export const backupPushCommand: Command = {
  name: 'backup push',
  summary: 'Copy backups to the offsite targets (checked after upload): the newest, one ID, or --all that retention keeps',
  usage: 'finhub backup push [ID | --all] [--to NAME] [--force] [--json]',
  needsDb: true,
  options: {
    all: { type: 'boolean', description: 'every backup the retention policy keeps that a target lacks' },
    to: { type: 'string', description: 'only this offsite target (offsite-dir or s3; default: every configured one)' },
    force: { type: 'boolean', description: 'upload again even when the target already holds an intact copy' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values, positionals) {
    if (positionals.length > 1) throw new UsageError('give at most one backup id');
    if (positionals.length === 1 && values.all) throw new UsageError('give either an ID or --all');
    return withBackupErrors(ctx.io, async () => {
      const c = await ctx.container();
      const to = values.to ? [values.to as string] : undefined;
      const progress = values.json ? undefined : ctx.io.out;
      let results: CopyResult[];
      if (values.all) {
        results = await c.offsite.sync({ to, mode: 'all', force: !!values.force, onProgress: progress });
      } else {
        const id = positionals[0] ?? (await c.backups.latestId());
        if (!id) throw new AppError('NOT_FOUND', `there is no backup in ${c.backups.dir} to copy (make one with: finhub backup create)`);
        results = await c.offsite.push(id, { to, force: !!values.force, onProgress: progress });
      }
      const failed = results.filter((r) => r.outcome === 'failed');
      if (values.json) {
        ctx.io.out(JSON.stringify({ ok: failed.length === 0, results: results.map(copyJson) }));
        return failed.length ? 1 : 0;
      }
      const where = new Map(c.offsite.targets().map((t) => [t.location, t.describe()]));
      for (const r of results) (r.outcome === 'failed' ? ctx.io.err : ctx.io.out)(copyLine(r, where.get(r.target) ?? r.target));
      if (results.length === 0) ctx.io.out('nothing to copy: every target holds every backup the retention policy keeps');
      return failed.length ? 1 : 0;
    });
  },
};

export const backupPullCommand: Command = {
  name: 'backup pull',
  summary: 'Download a backup from an offsite target into the backup directory, checked against its manifest',
  usage: 'finhub backup pull ID --from NAME [--force] [--json]',
  needsDb: true,
  options: {
    from: { type: 'string', description: 'offsite target to read (offsite-dir or s3; see finhub backup list --remote NAME)' },
    force: { type: 'boolean', description: 'download again even when the backup directory already holds an intact copy' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give exactly one backup id (see finhub backup list --remote NAME)');
    const from = requireString(values, 'from');
    return withBackupErrors(ctx.io, async () => {
      const c = await ctx.container();
      const r = await c.offsite.pull(positionals[0]!, from, { force: !!values.force, onProgress: values.json ? undefined : ctx.io.out });
      if (values.json) {
        ctx.io.out(JSON.stringify({ ...copyJson(r), path: r.path }));
        return 0;
      }
      if (r.outcome === 'present') ctx.io.out(`backup ${r.id} is already in ${c.backups.dir} (intact, same manifest); nothing downloaded`);
      else ctx.io.out(`downloaded ${r.id} from ${from} to ${r.path}: ${formatBytes(r.bytes)} in ${r.seconds.toFixed(1)} s; size, SHA-256 and every block match its manifest`);
      ctx.io.out(`Restore it with: finhub backup restore ${r.id} [--to DATABASE_URL | --data-dir DIR] [--force]`);
      return 0;
    });
  },
};

export const OFFSITE_COMMANDS: Command[] = [backupPushCommand, backupPullCommand];
