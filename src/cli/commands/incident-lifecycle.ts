// finhub incident open | ack | update | resolve: the same service calls as the
// operator API, acting as "cli:<login>" (or --by NAME) in the timeline.
import { cliOpsActor } from '../../ops/incidents/actor.ts';
import type { IncidentDetail } from '../../ops/incidents/incidents.view.ts';
import { COMPONENTS, POSTMORTEM_FIELDS, type PostmortemField } from '../../ops/incidents/model.ts';
import type { Command, CommandContext } from '../context.ts';
import { requireString, UsageError } from '../context.ts';

type Values = Record<string, string | boolean | string[] | undefined>;
type Options = Command['options'];

const flag = (f: PostmortemField) => f.replaceAll('_', '-');

export const FIELD_OPTIONS: Options = Object.fromEntries(
  POSTMORTEM_FIELDS.map((f) => [flag(f), { type: 'string' as const, description: `post-mortem: ${f.replaceAll('_', ' ')}` }]),
);
const COMMON: Options = {
  by: { type: 'string', description: 'name recorded in the timeline (default: cli:<your login>)' },
  json: { type: 'boolean', description: 'print the incident as JSON' },
};

export function fieldsFrom(values: Values): Partial<Record<PostmortemField, string>> {
  const out: Partial<Record<PostmortemField, string>> = {};
  for (const f of POSTMORTEM_FIELDS) {
    const v = values[flag(f)];
    if (typeof v === 'string') out[f] = v;
  }
  return out;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const list = (v: unknown) => (Array.isArray(v) ? v.flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter(Boolean) : undefined);

function oneRef(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one incident id (INC-12, 12 or its UUID): ${usage}`);
  return positionals[0]!;
}

function report(ctx: CommandContext, values: Values, i: IncidentDetail, verb: string): number {
  if (values.json) ctx.io.out(JSON.stringify(i));
  else ctx.io.out(`${i.ref} ${verb}: ${i.severity} ${i.status} — ${i.title}${i.components.length ? ` [${i.components.join(', ')}]` : ''}`);
  return 0;
}

export const incidentOpenCommand: Command = {
  name: 'incident open',
  summary: 'Open an incident',
  usage: `finhub incident open --title TEXT --severity P0|P1|P2|P3 [--component ${COMPONENTS.join('|')} ...] [--public-title TEXT] [--note TEXT] [--json]`,
  needsDb: true,
  options: {
    title: { type: 'string', description: 'what is wrong (internal; the status page shows --public-title or a generic name)' },
    severity: { type: 'string', description: 'P0 (acknowledge within 15 min), P1 (1 h), P2 (4 h), P3 (24 h)' },
    component: { type: 'string', multiple: true, description: `affected component, repeatable: ${COMPONENTS.join(', ')}` },
    'public-title': { type: 'string', description: 'title shown on the public status page' },
    note: { type: 'string', description: 'first timeline entry' },
    ...FIELD_OPTIONS,
    ...COMMON,
  },
  async run(ctx, values) {
    const title = requireString(values, 'title');
    const severity = requireString(values, 'severity');
    const c = await ctx.container();
    const i = await c.incidents.open(cliOpsActor(values.by), {
      title, severity, components: list(values.component), publicTitle: str(values['public-title']), note: str(values.note), fields: fieldsFrom(values),
    });
    return report(ctx, values, i, 'opened');
  },
};

export const incidentAckCommand: Command = {
  name: 'incident ack',
  summary: 'Acknowledge a triggered incident',
  usage: 'finhub incident ack ID [--note TEXT] [--json]',
  needsDb: true,
  options: { note: { type: 'string', description: 'timeline text' }, ...COMMON },
  async run(ctx, values, positionals) {
    const ref = oneRef(positionals, this.usage);
    const c = await ctx.container();
    return report(ctx, values, await c.incidents.ack(cliOpsActor(values.by), ref, str(values.note)), 'acknowledged');
  },
};

export const incidentUpdateCommand: Command = {
  name: 'incident update',
  summary: 'Change an incident\'s status, add a note, or fill in post-mortem fields',
  usage: 'finhub incident update ID [--status investigating|identified|monitoring|resolved] [--note TEXT] [--root-cause TEXT ...] [--json]',
  needsDb: true,
  options: {
    status: { type: 'string', description: 'new status (the lifecycle is enforced)' },
    note: { type: 'string', description: 'timeline text' },
    title: { type: 'string', description: 'new internal title' },
    'public-title': { type: 'string', description: 'title shown on the public status page' },
    severity: { type: 'string', description: 'new severity P0-P3' },
    component: { type: 'string', multiple: true, description: 'replaces the affected components, repeatable' },
    ...FIELD_OPTIONS,
    ...COMMON,
  },
  async run(ctx, values, positionals) {
    const ref = oneRef(positionals, this.usage);
    const c = await ctx.container();
    const i = await c.incidents.update(cliOpsActor(values.by), ref, {
      status: str(values.status), note: str(values.note), title: str(values.title), publicTitle: str(values['public-title']),
      severity: str(values.severity), components: list(values.component), fields: fieldsFrom(values),
    });
    return report(ctx, values, i, 'updated');
  },
};

export const incidentResolveCommand: Command = {
  name: 'incident resolve',
  summary: 'Resolve an incident',
  usage: 'finhub incident resolve ID [--note TEXT] [--resolution TEXT] [--json]',
  needsDb: true,
  options: { note: { type: 'string', description: 'timeline text' }, resolution: { type: 'string', description: 'post-mortem: how it was resolved' }, ...COMMON },
  async run(ctx, values, positionals) {
    const ref = oneRef(positionals, this.usage);
    const c = await ctx.container();
    return report(ctx, values, await c.incidents.resolve(cliOpsActor(values.by), ref, { note: str(values.note), resolution: str(values.resolution) }), 'resolved');
  },
};
