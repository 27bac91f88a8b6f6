// MTTA and MTTR over a period, for `finhub report ops` and the API.
// MTTA = acknowledged_at − triggered_at; MTTR = resolved_at − triggered_at.
// An incident belongs to the period in which it was triggered; means are taken
// over the incidents of the period that have the timestamp (MTTA: acknowledged
// ones, MTTR: resolved ones), so open incidents do not pull MTTR down.
import type { Db } from '../../db/create-db.ts';
import type { Executor } from '../../shared/executor.ts';
import { incidentsTriggeredIn, type IncidentRow } from './incidents.repository.ts';
import { RESPONSE_TARGET_SECONDS, SEVERITIES, type Severity } from './model.ts';

export interface DurationStats {
  /** Incidents the mean is over. */
  count: number;
  meanSeconds: number | null;
  medianSeconds: number | null;
  maxSeconds: number | null;
}

export interface IncidentStats {
  from: Date;
  to: Date;
  total: number;
  open: number;
  resolved: number;
  bySeverity: Record<Severity, { total: number; mtta: DurationStats; mttr: DurationStats }>;
  mtta: DurationStats;
  mttr: DurationStats;
  /** Incidents acknowledged later than their severity's response target (or not at all, past it). */
  ackTargetMissed: number;
}

function durations(values: number[]): DurationStats {
  if (values.length === 0) return { count: 0, meanSeconds: null, medianSeconds: null, maxSeconds: null };
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { count: s.length, meanSeconds: Math.trunc(s.reduce((a, b) => a + b, 0) / s.length), medianSeconds: Math.trunc(median), maxSeconds: Math.trunc(s[s.length - 1]!) };
}

const secs = (a: Date, b: Date) => Math.max(0, (b.getTime() - a.getTime()) / 1000);

function summarise(rows: IncidentRow[]) {
  const acked = rows.filter((r) => r.acknowledged_at).map((r) => secs(r.triggered_at, r.acknowledged_at!));
  const resolved = rows.filter((r) => r.resolved_at).map((r) => secs(r.triggered_at, r.resolved_at!));
  return { total: rows.length, mtta: durations(acked), mttr: durations(resolved) };
}

/** Incident counts, MTTA and MTTR for incidents triggered in [from, to). Accepts the container's Db or a Kysely executor. */
export async function incidentStats(db: Db | Executor, period: { from: Date; to: Date }, now: Date = new Date()): Promise<IncidentStats> {
  if (!(period.from < period.to)) throw new RangeError('incidentStats: from must be before to');
  const ex: Executor = 'kysely' in db ? db.kysely : db;
  const rows = await incidentsTriggeredIn(ex, period.from, period.to);
  const all = summarise(rows);
  const bySeverity = Object.fromEntries(
    SEVERITIES.map((s) => {
      return [s, summarise(rows.filter((x) => x.severity === s))];
    }),
  ) as IncidentStats['bySeverity'];
  const ackTargetMissed = rows.filter((r) => {
    const target = RESPONSE_TARGET_SECONDS[r.severity];
    return (r.acknowledged_at ? secs(r.triggered_at, r.acknowledged_at) : r.status === 'triggered' ? secs(r.triggered_at, now) : 0) > target;
  }).length;
  return {
    from: period.from,
    to: period.to,
    total: rows.length,
    open: rows.filter((r) => r.status !== 'resolved').length,
    resolved: rows.filter((r) => r.status === 'resolved').length,
    bySeverity,
    mtta: all.mtta,
    mttr: all.mttr,
    ackTargetMissed,
  };
}
