// finhub incident list | show | postmortem.
import { writeFileSync } from 'node:fs';
import { formatSeconds } from '../../ops/incidents/postmortem.ts';
import type { IncidentView } from '../../ops/incidents/incidents.view.ts';
import type { Command } from '../context.ts';
import { UsageError } from '../context.ts';

const line = (i: IncidentView) =>
  `${i.ref.padEnd(8)} ${i.severity}  ${i.status.padEnd(13)} ${i.triggered_at.toISOString().slice(0, 16).replace('T', ' ')}  ${i.title}${i.components.length ? ` [${i.components.join(', ')}]` : ''}`;

export const incidentListCommand: Command = {
  name: 'incident list',
  summary: 'List incidents, newest first',
  usage: 'finhub incident list [--open] [--status S] [--severity P1] [--limit N] [--json]',
  needsDb: true,
  options: {
    open: { type: 'boolean', description: 'only incidents that are not resolved' },
    status: { type: 'string', description: 'only this status' },
    severity: { type: 'string', description: 'only this severity' },
    limit: { type: 'string', description: 'at most this many (1-200, default 50)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values) {
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new UsageError('--limit must be a whole number from 1 to 200');
    const c = await ctx.container();
    const page = await c.incidents.list({ open: values.open === true, status: values.status as string | undefined, severity: values.severity as string | undefined, limit });
    if (values.json) ctx.io.out(JSON.stringify(page.items));
    else if (page.items.length === 0) ctx.io.err(values.open ? 'no open incidents' : 'no incidents');
    else page.items.forEach((i) => ctx.io.out(line(i)));
    return 0;
  },
};

export const incidentShowCommand: Command = {
  name: 'incident show',
  summary: 'Show an incident with its timeline',
  usage: 'finhub incident show ID [--json]',
  needsDb: true,
  options: { json: { type: 'boolean', description: 'machine-readable output' } },
  async run(ctx, values, positionals) {
    if (positionals.length !== 1) throw new UsageError(`expected one incident id: ${this.usage}`);
    const c = await ctx.container();
    const i = await c.incidents.get(positionals[0]!);
    if (values.json) {
      ctx.io.out(JSON.stringify(i));
      return 0;
    }
    const o = ctx.io.out;
    o(`${i.ref}  ${i.title}`);
    o(`  severity    ${i.severity} (acknowledge by ${i.ack_due_at.toISOString()}${i.ack_target_missed ? ', target missed' : ''})`);
    o(`  status      ${i.status}${i.allowed_next.length ? ` (next: ${i.allowed_next.join(', ')})` : ''}`);
    o(`  components  ${i.components.join(', ') || '-'}`);
    o(`  source      ${i.source}${i.fingerprint ? ` (${i.fingerprint})` : ''}`);
    o(`  triggered   ${i.triggered_at.toISOString()} by ${i.created_by}`);
    o(`  MTTA        ${formatSeconds(i.mtta_seconds)}`);
    o(`  MTTR        ${formatSeconds(i.mttr_seconds)}`);
    o('timeline:');
    for (const e of i.timeline) o(`  ${e.at.toISOString()}  ${e.actor.padEnd(24)} ${e.kind === 'status' ? `[${e.status}] ` : ''}${e.message}`);
    return 0;
  },
};

export const incidentPostmortemCommand: Command = {
  name: 'incident postmortem',
  summary: 'Write the Markdown post-mortem of an incident',
  usage: 'finhub incident postmortem ID [--out FILE]',
  needsDb: true,
  pathOptions: ['out'],
  options: { out: { type: 'string', description: 'write to this file instead of standard output' } },
  async run(ctx, values, positionals) {
    if (positionals.length !== 1) throw new UsageError(`expected one incident id: ${this.usage}`);
    const c = await ctx.container();
    const md = await c.incidents.postmortem(positionals[0]!);
    if (typeof values.out === 'string') {
      writeFileSync(values.out, md, { mode: 0o600 });
      ctx.io.err(`post-mortem written to ${values.out}`);
    } else for (const l of md.replace(/\n$/, '').split('\n')) ctx.io.out(l);
    return 0;
  },
};
