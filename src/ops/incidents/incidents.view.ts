// The outward shape of an incident (API, CLI --json, post-mortem): the row plus
// what follows from it (reference, response target, MTTA, MTTR).
import { allowedNext, RESPONSE_TARGET_SECONDS, type IncidentStatus, type Severity } from './model.ts';
import type { IncidentEventRow, IncidentRow } from './incidents.repository.ts';

export interface TimelineEntry {
  at: Date;
  actor: string;
  kind: 'status' | 'note' | 'field' | 'alert';
  status: string | null;
  message: string;
}

export interface IncidentView {
  id: string;
  number: number;
  ref: string;
  title: string;
  public_title: string | null;
  severity: Severity;
  status: IncidentStatus;
  components: string[];
  source: 'manual' | 'alertmanager' | 'watchdog';
  fingerprint: string | null;
  labels: Record<string, string>;
  summary: string | null;
  impact: string | null;
  root_cause: string | null;
  trigger: string | null;
  resolution: string | null;
  detection: string | null;
  action_items: string | null;
  lessons_learned: string | null;
  created_by: string;
  triggered_at: Date;
  acknowledged_at: Date | null;
  resolved_at: Date | null;
  updated_at: Date;
  /** Time allowed to acknowledge at this severity. */
  response_target_seconds: number;
  ack_due_at: Date;
  /** Acknowledged late, or still unacknowledged past the target. */
  ack_target_missed: boolean;
  /** Time to acknowledge; null until acknowledged. */
  mtta_seconds: number | null;
  /** Time from trigger to resolution; null while open. */
  mttr_seconds: number | null;
  allowed_next: IncidentStatus[];
}

export interface IncidentDetail extends IncidentView {
  timeline: TimelineEntry[];
}

export const incidentRef = (n: number) => `INC-${n}`;

const seconds = (from: Date, to: Date | null) => (to ? Math.max(0, Math.trunc((to.getTime() - from.getTime()) / 1000)) : null);

export function toView(r: IncidentRow, now: Date = new Date()): IncidentView {
  const target = RESPONSE_TARGET_SECONDS[r.severity];
  const due = new Date(r.triggered_at.getTime() + target * 1000);
  const missed = r.acknowledged_at ? r.acknowledged_at > due : r.status === 'triggered' && now > due;
  return {
    id: r.id,
    number: r.number,
    ref: incidentRef(r.number),
    title: r.title,
    public_title: r.public_title,
    severity: r.severity,
    status: r.status,
    components: r.components,
    source: r.source,
    fingerprint: r.fingerprint,
    labels: r.labels,
    summary: r.summary,
    impact: r.impact,
    root_cause: r.root_cause,
    trigger: r.trigger,
    resolution: r.resolution,
    detection: r.detection,
    action_items: r.action_items,
    lessons_learned: r.lessons_learned,
    created_by: r.created_by,
    triggered_at: r.triggered_at,
    acknowledged_at: r.acknowledged_at,
    resolved_at: r.resolved_at,
    updated_at: r.updated_at,
    response_target_seconds: target,
    ack_due_at: due,
    ack_target_missed: missed,
    mtta_seconds: seconds(r.triggered_at, r.acknowledged_at),
    mttr_seconds: seconds(r.triggered_at, r.resolved_at),
    allowed_next: allowedNext(r.status),
  };
}

export function toDetail(r: IncidentRow, events: IncidentEventRow[], now?: Date): IncidentDetail {
  return { ...toView(r, now), timeline: events.map((e) => ({ at: e.at, actor: e.actor, kind: e.kind, status: e.status, message: e.message })) };
}
