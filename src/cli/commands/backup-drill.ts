import type { Command } from '../context.ts';
import { reportJson, reportLines, withBackupErrors } from './backup-shared.ts';

const human = (s: number | null) => (s === null ? 'unknown' : s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`);

export const backupDrillCommand: Command = {
  name: 'backup drill',
  summary: 'Restore drill: restore the newest backup into scratch, verify at level 4, record RTO and RPO',
  usage: 'finhub backup drill [--identity FILE] [--json]',
  needsDb: true,
  pathOptions: ['identity'],
  options: {
    identity: { type: 'string', description: 'age private key file (default FINHUB_BACKUP_IDENTITY_FILE)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values) {
    return withBackupErrors(ctx.io, async () => {
      const c = await ctx.container();
      const d = await c.backups.drill({ identityFile: values.identity as string | undefined, onProgress: values.json ? undefined : ctx.io.out });
      if (values.json) {
        ctx.io.out(JSON.stringify({ ok: d.report.ok, backup_id: d.backupId, rto_seconds: d.restoreSeconds, rpo_seconds: d.rpoSeconds, report: reportJson(d.report) }));
        return d.report.ok ? 0 : 1;
      }
      for (const l of reportLines(d.report)) (d.report.ok ? ctx.io.out : ctx.io.err)(l);
      if (d.report.ok) ctx.io.out(`drill passed: RTO (restore duration) ${human(d.restoreSeconds)}, RPO (age of the newest verified backup) ${human(d.rpoSeconds)}`);
      else ctx.io.err('drill FAILED: the newest backup could not be proven restorable; see the problems above');
      return d.report.ok ? 0 : 1;
    });
  },
};
