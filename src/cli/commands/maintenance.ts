// finhub maintenance on | off | status. With an embedded server running, these
// run inside it (control socket), so the change applies at once; on PostgreSQL
// every server sees it within about a second.
import { cliOpsActor } from '../../ops/incidents/actor.ts';
import { parseUntil, retryAfterSeconds, type MaintenanceStatus } from '../../ops/maintenance/maintenance.service.ts';
import type { Command, CommandContext } from '../context.ts';
import { requireString } from '../context.ts';

function print(ctx: CommandContext, s: MaintenanceStatus, json: unknown) {
  if (json) {
    ctx.io.out(JSON.stringify({ on: s.on, message: s.message ?? null, reason: s.reason ?? null, since: s.since ?? null, until: s.until ?? null, by: s.by ?? null }));
    return;
  }
  if (!s.on) {
    ctx.io.out('maintenance mode is off');
    return;
  }
  ctx.io.out(`maintenance mode is ON since ${s.since?.toISOString()} (by ${s.by}): ${s.message}`);
  ctx.io.out(s.until ? `  switches itself off at ${s.until.toISOString()} (Retry-After ${retryAfterSeconds(s, new Date())} s)` : '  until switched off with: finhub maintenance off');
  if (s.reason) ctx.io.out(`  reason: ${s.reason}`);
}

export const maintenanceOnCommand: Command = {
  name: 'maintenance on',
  summary: 'Switch maintenance mode on: API writes get 503 with Retry-After, reads keep working',
  usage: 'finhub maintenance on --message TEXT [--until 2h|ISO-TIME] [--reason TEXT] [--json]',
  needsDb: true,
  options: {
    message: { type: 'string', description: 'shown to users in 503 answers and on the status page' },
    until: { type: 'string', description: 'switch off by itself after a duration (30m, 2h, 1d) or at an ISO time (2026-01-31T18:00:00Z)' },
    reason: { type: 'string', description: 'internal reason, recorded in the audit log' },
    by: { type: 'string', description: 'name recorded as the actor (default: cli:<your login>)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values) {
    const message = requireString(values, 'message');
    const until = typeof values.until === 'string' ? parseUntil(values.until, new Date()) : undefined;
    const c = await ctx.container();
    print(ctx, await c.maintenance.set(cliOpsActor(values.by), { message, until, reason: values.reason as string | undefined }), values.json);
    return 0;
  },
};

export const maintenanceOffCommand: Command = {
  name: 'maintenance off',
  summary: 'Switch maintenance mode off',
  usage: 'finhub maintenance off [--reason TEXT] [--json]',
  needsDb: true,
  options: {
    reason: { type: 'string', description: 'recorded in the audit log' },
    by: { type: 'string', description: 'name recorded as the actor (default: cli:<your login>)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values) {
    const c = await ctx.container();
    const r = await c.maintenance.clear(cliOpsActor(values.by), { reason: values.reason as string | undefined });
    if (!r.wasOn && !values.json) ctx.io.err('maintenance mode was already off');
    print(ctx, r.status, values.json);
    return 0;
  },
};

export const maintenanceStatusCommand: Command = {
  name: 'maintenance status',
  summary: 'Show whether maintenance mode is on',
  usage: 'finhub maintenance status [--json]',
  needsDb: true,
  options: { json: { type: 'boolean', description: 'machine-readable output' } },
  async run(ctx, values) {
    const c = await ctx.container();
    print(ctx, await c.maintenance.statusFresh(), values.json);
    return 0;
  },
};
