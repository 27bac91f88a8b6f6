import type { Command } from '../context.ts';

const day = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

export const backupPruneCommand: Command = {
  name: 'backup prune',
  summary: 'Delete backups the retention policy (grandfather-father-son) no longer keeps',
  usage: 'finhub backup prune [--dry-run] [--json]',
  needsDb: true,
  options: {
    'dry-run': { type: 'boolean', description: 'show what would be kept and deleted, delete nothing' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values) {
    const c = await ctx.container();
    const r = await c.backups.prune({ dryRun: !!values['dry-run'] });
    if (values.json) {
      ctx.io.out(JSON.stringify({ dry_run: r.dryRun, keep: r.plan.keep.map((k) => ({ id: k.id, reasons: k.reasons })), remove: r.plan.remove.map((x) => x.id), removed: r.removed, skipped_other_databases: r.skipped, damaged: r.damaged, cleaned: r.cleaned, offsite: r.offsite ?? [] }));
      return r.offsite?.some((o) => o.error) ? 1 : 0;
    }
    for (const k of r.plan.keep) ctx.io.out(`keep    ${k.id}  ${day(k.at)}  (${k.reasons.join(', ')})`);
    for (const x of r.plan.remove) ctx.io.out(`${r.dryRun ? 'would delete' : 'deleted'} ${x.id}  ${day(x.at)}`);
    for (const id of r.skipped) ctx.io.out(`skip    ${id}  (a backup of another database; prune it from that installation)`);
    for (const id of r.damaged) ctx.io.out(`skip    ${id}  (damaged manifest; inspect and delete it by hand)`);
    for (const f of r.cleaned) ctx.io.out(`removed ${f} (left by an interrupted backup)`);
    ctx.io.out(r.dryRun ? `dry run: ${r.plan.remove.length} of ${r.plan.keep.length + r.plan.remove.length} backups would be deleted` : `${r.removed.length} backup(s) deleted, ${r.plan.keep.length} kept`);
    // The same policy on each offsite target (src/backup/offsite/).
    for (const o of r.offsite ?? []) {
      if (o.error) ctx.io.err(`offsite ${o.target}: prune FAILED: ${o.error}`);
      else ctx.io.out(`offsite ${o.target}: ${r.dryRun ? `${o.remove.length} would be deleted` : `${o.removed.length} deleted`} (${o.remove.join(', ') || 'none'}), ${o.keep.length} kept`);
    }
    return r.offsite?.some((o) => o.error) ? 1 : 0;
  },
};
