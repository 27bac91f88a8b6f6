import type { Period } from '../../ops/reports/ops-report.ts';
import { existingTrafficRecorder } from '../../ops/reports/traffic.ts';
import { UsageError, type Command } from '../context.ts';

export const reportOpsCommand: Command = {
  name: 'report ops',
  summary: 'Operations report: traffic, errors, p95, jobs, incidents, backups, growth forecast',
  usage: 'finhub report ops [--period daily|weekly|monthly] [--format md|json]',
  needsDb: true,
  options: {
    period: { type: 'string', description: 'daily (last 24 h, default), weekly (7 days) or monthly (30 days)' },
    format: { type: 'string', description: 'md (Markdown, default) or json' },
  },
  async run(ctx, values) {
    // The report engine is imported when the command runs (a command forwarded to a running server does not need it).
    const [{ buildOpsReport, PERIOD_DAYS }, { renderJson, renderMarkdown }] = await Promise.all([import('../../ops/reports/ops-report.ts'), import('../../ops/reports/render.ts')]);
    const period = ((values.period as string | undefined) ?? 'daily') as Period;
    if (!Object.hasOwn(PERIOD_DAYS, period)) throw new UsageError('--period must be daily, weekly or monthly');
    const format = (values.format as string | undefined) ?? 'md';
    if (format !== 'md' && format !== 'json') throw new UsageError('--format must be md or json');
    const c = await ctx.container();
    // Inside a running server: store its latest traffic first so the report includes it.
    await existingTrafficRecorder(c)?.flush().catch(() => undefined);
    const report = await buildOpsReport(c, period);
    for (const line of (format === 'json' ? renderJson(report) : renderMarkdown(report)).split('\n')) ctx.io.out(line);
    return 0;
  },
};
