import { DOCTOR_EXIT, renderDoctor, runDoctor } from '../../ops/doctor/doctor.ts';
import type { Command } from '../context.ts';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Morning check: every component, errors in the last 24 h, incidents, maintenance; exit 0 pass, 1 warn, 2 fail',
  usage: 'finhub doctor [--json]',
  needsDb: true,
  options: { json: { type: 'boolean', description: 'the result as application/health+json' } },
  async run(ctx, values) {
    const c = await ctx.container();
    const r = await runDoctor(c);
    if (values.json) ctx.io.out(JSON.stringify(r));
    else for (const line of renderDoctor(r)) ctx.io.out(line);
    return DOCTOR_EXIT[r.status];
  },
};
