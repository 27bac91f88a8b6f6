// `finhub doctor`, the morning check: every check of /api/health/detailed plus
// the last 24 hours (error lines in the log files, 5xx share from the traffic
// snapshots) and open incidents. Overall status pass/warn/fail -> exit 0/1/2.
import type { Container } from '../../app/container.ts';
import { detailedHealth, overall, type Check, type Checks, type HealthDoc, type Status } from '../health/checks.ts';
import { openIncidents } from '../health/ops-state.ts';
import { healthThresholds } from '../health/thresholds.ts';
import { logFilePath } from '../logs/log-files.ts';
import { countLogLines } from '../logs/log-search.ts';
import { aggregateTraffic } from '../reports/ops-report.ts';
import { existingTrafficRecorder } from '../reports/traffic.ts';

export const DOCTOR_EXIT: Record<Status, number> = { pass: 0, warn: 1, fail: 2 };

const DAY_MS = 86_400_000;

async function logErrors(c: Container, since: Date, time: string): Promise<Check> {
  const file = logFilePath(c.config);
  if (!file) return { componentType: 'component', status: 'pass', time, output: 'log file disabled (FINHUB_LOG_FILE=off); not counted' };
  try {
    const r = await countLogLines(file, { since, level: 'error' });
    if (r.files === 0) return { componentType: 'component', observedValue: 0, status: 'pass', time, output: `no log file yet at ${file}` };
    return {
      componentType: 'component',
      observedValue: r.count,
      observedUnit: 'lines',
      status: r.count > 0 ? 'warn' : 'pass',
      time,
      ...(r.count > 0 ? { output: `${r.count} error line(s) since ${since.toISOString()}; see: finhub logs search --since 24h --level error` } : {}),
    };
  } catch (e) {
    return { componentType: 'component', status: 'warn', time, output: `could not read ${file}: ${(e as Error).message}` };
  }
}

async function serverErrors(c: Container, since: Date, time: string): Promise<Check> {
  // Inside a running server, store its latest counts first so they are included.
  await existingTrafficRecorder(c)?.flush().catch(() => undefined);
  const rows = await c.db.kysely.selectFrom('ops_snapshots_traffic').selectAll().where('period_end', '>', since).execute();
  const agg = aggregateTraffic(rows as unknown as Parameters<typeof aggregateTraffic>[0]);
  const requests = agg.requests;
  const errors = agg.serverErrors;
  const t = healthThresholds();
  const rate = requests ? errors / requests : 0;
  const high = rate > t.errorRateWarn;
  return {
    componentType: 'component',
    observedValue: errors,
    observedUnit: 'responses',
    status: high ? 'warn' : 'pass',
    time,
    output: requests ? `${errors} of ${requests} requests (${(rate * 100).toFixed(2)}%${high ? `; warn above ${(t.errorRateWarn * 100).toFixed(1)}%` : ''}; /metrics and /health* not counted)` : 'no requests recorded in the last 24 h',
  };
}

async function incidents(c: Container, time: string): Promise<Check> {
  const open = await openIncidents(c);
  const total = Object.values(open).reduce((a, b) => a + b, 0);
  const urgent = (open.P0 ?? 0) + (open.P1 ?? 0);
  return {
    componentType: 'component',
    observedValue: total,
    observedUnit: 'incidents',
    status: urgent > 0 ? 'fail' : total > 0 ? 'warn' : 'pass',
    time,
    ...(total > 0 ? { output: `${Object.entries(open).filter(([, n]) => n > 0).map(([s, n]) => `${s}: ${n}`).join(', ')} (finhub incident list)` } : {}),
  };
}

export interface DoctorResult extends HealthDoc {
  commit: string | null;
  engine: string;
}

export async function runDoctor(c: Container, now: Date = new Date()): Promise<DoctorResult> {
  const since = new Date(now.getTime() - DAY_MS);
  const time = now.toISOString();
  const detail = await detailedHealth(c);
  const guard = async (key: string, f: () => Promise<Check>): Promise<[string, Check[]]> => {
    try {
      return [key, [await f()]];
    } catch (e) {
      return [key, [{ componentType: 'component', status: 'warn', time, output: `could not check: ${(e as Error).message}` }]];
    }
  };
  const extra = Object.fromEntries(await Promise.all([
    guard('logs:errors24h', () => logErrors(c, since, time)),
    guard('http:serverErrors24h', () => serverErrors(c, since, time)),
    guard('incidents:open', () => incidents(c, time)),
  ])) as Checks;
  const checks: Checks = { ...detail.checks, ...extra };
  const status = overall(checks);
  return { ...detail, description: 'finhub doctor', status, checks, ...(status === 'pass' ? {} : { output: Object.entries(checks).filter(([, l]) => l.some((x) => x.status !== 'pass')).map(([k]) => k).join(', ') }) };
}

const MARK: Record<Status, string> = { pass: 'ok  ', warn: 'WARN', fail: 'FAIL' };

/** A table an operator reads top to bottom: problems first, then everything else. */
export function renderDoctor(r: DoctorResult): string[] {
  // Several components under one key (offsite targets) get a row each, named key[componentId].
  const rows = Object.entries(r.checks ?? {}).flatMap(([key, list]) => list.map((ch) => ({ key: ch.componentId ? `${key}[${ch.componentId}]` : key, ch })));
  rows.sort((a, b) => ({ fail: 0, warn: 1, pass: 2 })[a.ch.status] - ({ fail: 0, warn: 1, pass: 2 })[b.ch.status] || a.key.localeCompare(b.key));
  const value = (ch: Check) => (ch.observedValue === undefined ? '' : `${ch.observedValue}${ch.observedUnit ? ` ${ch.observedUnit === 'percent' ? '%' : ch.observedUnit}` : ''}`);
  const w1 = Math.max(...rows.map((x) => x.key.length), 5);
  const w2 = Math.max(...rows.map((x) => value(x.ch).length), 5);
  const out = [`finhub doctor: ${r.releaseId}${r.commit ? ` (${r.commit.slice(0, 12)})` : ''}, ${r.engine} database`, ''];
  out.push(`${'     '} ${'CHECK'.padEnd(w1)}  ${'VALUE'.padEnd(w2)}  DETAIL`);
  for (const { key, ch } of rows) out.push(`${MARK[ch.status]}  ${key.padEnd(w1)}  ${value(ch).padEnd(w2)}  ${ch.output ?? ''}`.trimEnd());
  out.push('', `overall: ${r.status.toUpperCase()} (exit ${DOCTOR_EXIT[r.status]})`);
  return out;
}
