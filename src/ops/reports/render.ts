// Markdown and JSON forms of the ops report.
import { formatAge, formatBytes, round } from '../health/checks.ts';
import type { GrowthLine, OpsReport } from './ops-report.ts';

const int = (n: number) => round(n).toLocaleString('en-US');
const pct = (r: number | null) => (r === null ? 'n/a' : `${(r * 100).toFixed(2)} %`);
const msOf = (s: number | null) => (s === null ? 'n/a' : `${round(s * 1000)} ms`);
const iso = (d: Date | null | undefined) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : 'never');
const cell = (s: string) => s.replace(/\|/g, '\\|');

function growthValue(metric: GrowthLine['metric'], v: number | null): string {
  if (v === null) return 'n/a';
  return metric === 'database_size_bytes' ? formatBytes(v) : int(v);
}

function signed(metric: GrowthLine['metric'], v: number | null): string {
  if (v === null) return 'n/a';
  const abs = growthValue(metric, Math.abs(v));
  return `${v < 0 ? '−' : '+'}${abs}`;
}

export function renderMarkdown(r: OpsReport, now: Date = r.to): string {
  const L: string[] = [];
  const t = r.traffic;
  L.push(`# finhub ops report (${r.period})`, '', `Period: ${iso(r.from)} to ${iso(r.to)}`, '');

  L.push('## Traffic', '');
  if (t.snapshots === 0) {
    L.push('No traffic snapshots in this period (the server stores one every 5 minutes while it runs).', '');
  } else {
    L.push(
      `- Requests: ${int(t.requests)} (plus ${int(t.probeRequests)} to /metrics and /health*, not counted below)`,
      `- Server errors (5xx): ${int(t.serverErrors)}, error rate ${pct(t.errorRate)}`,
      `- Client errors (4xx): ${int(t.clientErrors)}`,
      `- Failed logins: ${int(t.failedLogins)}`,
      `- From ${t.snapshots} snapshot(s) of ${t.instances} process(es)`,
      '',
    );
    if (t.routes.length) {
      L.push('| Route | Requests | 5xx | Error rate | p95 |', '|---|---:|---:|---:|---:|');
      for (const x of t.routes) L.push(`| ${cell(`${x.method} ${x.route}`)} | ${int(x.requests)} | ${int(x.serverErrors)} | ${pct(x.errorRate)} | ${msOf(x.p95Seconds)} |`);
      L.push('');
    }
  }

  L.push('## Slowest queries', '');
  if (!r.slowQueries.available) L.push(`Not available: ${r.slowQueries.reason}.`, '', ...r.slowQueries.hint.split('\n').map((l) => `    ${l}`), '');
  else if (r.slowQueries.rows.length === 0) L.push('pg_stat_statements has no statements for this database yet.', '');
  else {
    L.push('| Mean | Max | Calls | Query |', '|---:|---:|---:|---|');
    for (const q of r.slowQueries.rows) L.push(`| ${q.meanMs.toFixed(1)} ms | ${q.maxMs.toFixed(1)} ms | ${int(q.calls)} | \`${cell(q.query)}\` |`);
    L.push('', 'pg_stat_statements counts since its last reset, not just this period.', '');
  }

  L.push('## Jobs', '');
  L.push(`- Finished in the period: ${int(r.jobs.succeeded)} succeeded, ${int(r.jobs.failed)} failed attempts, ${int(r.jobs.dead)} dead`);
  if (r.jobs.now) L.push(`- Now: ${int(r.jobs.now.queued)} queued, ${int(r.jobs.now.running)} running, ${int(r.jobs.now.dead)} dead letters, oldest due job waiting ${formatAge(r.jobs.now.oldestQueuedAgeSeconds)}`);
  L.push('');

  L.push('## Incidents', '');
  if (!r.incidents.available) L.push(`Incidents: not available (${r.incidents.reason}).`, '');
  else {
    const s = r.incidents.stats;
    const mean = (x: { meanSeconds: number | null }) => (x.meanSeconds === null ? 'n/a' : formatAge(x.meanSeconds));
    L.push(`- Triggered in the period: ${s.total} (${s.open} still open, ${s.resolved} resolved)`, `- MTTA: ${mean(s.mtta)}; MTTR: ${mean(s.mttr)}`, `- Acknowledged later than the response target: ${s.ackTargetMissed}`, '');
  }

  L.push('## Backups', '');
  const b = r.backups;
  const ago = (d: Date | null) => (d ? `${iso(d)} (${formatAge((now.getTime() - d.getTime()) / 1000)} ago)` : 'never');
  L.push(`- Last successful backup: ${ago(b.lastSuccessAt)}${b.lastSizeBytes !== null ? `, ${formatBytes(b.lastSizeBytes)}` : ''}`, `- Last verified backup: ${ago(b.lastVerifiedAt)}`, `- Last restore drill: ${ago(b.lastDrillAt)}${b.lastDrillSeconds !== null ? `, restored in ${formatAge(b.lastDrillSeconds)}` : ''}`, `- Backups kept: ${b.count}`, '');

  L.push('## Database maintenance', '');
  if (r.maintenance.length === 0) L.push('No maintenance run in this period (the weekly job runs Sundays at 04:43 UTC; `finhub db maintenance` runs it now).', '');
  for (const m of r.maintenance) {
    L.push(`- ${iso(m.started_at)} (${m.trigger}): ${m.status}`);
    for (const s of m.steps) L.push(`  - ${s.name}: ${s.ok ? 'ok' : 'FAILED'}, ${s.detail}`);
  }
  if (r.maintenance.length) L.push('');

  L.push('## Growth and forecast', '');
  L.push(`Trend: least-squares line over ${r.growth.points} point(s) (the last snapshot of each day over up to a year, plus now), spanning ${r.growth.spanDays.toFixed(1)} days.`, '');
  L.push('| Metric | Now | At period start | Trend per month | In 6 months | In 12 months | R² |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const g of r.growth.lines) {
    L.push(`| ${g.metric} | ${growthValue(g.metric, g.current)} | ${growthValue(g.metric, g.atPeriodStart)} | ${signed(g.metric, g.perMonth)} | ${growthValue(g.metric, g.in6Months)} | ${growthValue(g.metric, g.in12Months)} | ${g.r2 === null ? 'n/a' : g.r2.toFixed(2)} |`);
  }
  if (r.growth.points < 2) L.push('', 'Not enough snapshots for a trend yet: the hourly `ops.snapshot` job stores one per hour while the server runs.');
  L.push('');
  return L.join('\n');
}

export function renderJson(r: OpsReport): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2);
}
