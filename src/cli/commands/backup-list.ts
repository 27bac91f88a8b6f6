import { buildTargets } from '../../backup/offsite/targets.ts';
import { LocalDirStore, type BackupStore } from '../../backup/store.ts';
import { loadConfig } from '../../config/config.ts';
import { UsageError, type Command } from '../context.ts';
import { sourceStore } from './backup-offsite.ts';
import { listingJson, listingLines } from './backup-shared.ts';

export const backupListCommand: Command = {
  name: 'backup list',
  summary: 'List backups: time, size, note, verification level, where they are stored',
  usage: 'finhub backup list [--dir DIR | --remote NAME] [--json]',
  needsDb: true,
  pathOptions: ['dir'],
  options: {
    dir: { type: 'string', description: 'list this backup directory instead of the configured one (e.g. a copy after a disaster)' },
    remote: { type: 'string', description: 'list what an offsite target holds (offsite-dir or s3)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values) {
    const dir = values.dir as string | undefined;
    if (dir && values.remote) throw new UsageError('give either --dir or --remote, not both');
    let rows;
    let note: string | undefined;
    try {
      const c = await ctx.container();
      rows = await c.backups.list({ store: sourceStore(c, values, 'remote') });
    } catch (e) {
      // The database (and with it the catalogue) may be what was lost: the directory alone still lists.
      // (backup.service is imported here, not at the top: forwarding `backup list` to a running server does not need it.)
      const { backupDir, mergeListing } = await import('../../backup/backup.service.ts');
      const config = loadConfig();
      const remote = values.remote as string | undefined;
      const store: BackupStore | undefined = remote ? buildTargets(config).find((t) => t.location === remote) : new LocalDirStore(dir ?? backupDir(config));
      if (!store) throw e;
      rows = mergeListing(await store.list(), [], null, store.location);
      note = `note: the catalogue is not available (${(e as Error).message}); listing ${store.describe()} from its files`;
    }
    if (values.json) {
      ctx.io.out(JSON.stringify(rows.map(listingJson)));
      return 0;
    }
    if (note) ctx.io.err(note);
    if (rows.length === 0) {
      ctx.io.out(`no backups${dir ? ` in ${dir}` : ''} (make one with: finhub backup create)`);
      return 0;
    }
    for (const l of listingLines(rows)) ctx.io.out(l);
    return 0;
  },
};
