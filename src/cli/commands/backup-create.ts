import type { Command } from '../context.ts';
import { formatBytes, withBackupErrors } from './backup-shared.ts';

export const backupCreateCommand: Command = {
  name: 'backup create',
  summary: 'Take a consistent, compressed, age-encrypted backup of the whole database',
  usage: 'finhub backup create [--note TEXT] [--json]',
  needsDb: true,
  options: {
    note: { type: 'string', description: 'free text stored with the backup (up to 500 characters)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values) {
    return withBackupErrors(ctx.io, async () => {
      const c = await ctx.container();
      const b = await c.backups.create({ note: (values.note as string | undefined) ?? null, onProgress: values.json ? undefined : ctx.io.out });
      const m = b.manifest;
      if (values.json) {
        ctx.io.out(JSON.stringify({ id: b.id, path: b.path, manifest: c.backups.store.manifestPath(b.id), size_bytes: b.size, seconds: b.seconds, snapshot_at: m.created_at, migration: m.migration, rows: m.tables.reduce((a, t) => a + t.rows, 0) }));
        return 0;
      }
      ctx.io.out(`backup ${b.id} created in ${b.seconds.toFixed(1)} s: ${formatBytes(b.size)}, ${m.tables.length} tables, ${m.tables.reduce((a, t) => a + t.rows, 0)} rows, snapshot at ${m.created_at}`);
      ctx.io.out(`  archive:  ${b.path}`);
      ctx.io.out(`  manifest: ${c.backups.store.manifestPath(b.id)}`);
      ctx.io.out(`  encrypted to ${m.recipients.join(', ')}`);
      ctx.io.out(`Check it with: finhub backup verify ${b.id} --level 3`);
      return 0;
    });
  },
};
