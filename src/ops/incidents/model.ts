// The incident vocabulary: severities with their response targets, the
// lifecycle and its legal transitions, and the fixed component set the status
// page shows. Pure; no I/O.
import type { Actor } from '../../auth/actor.ts';

export const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Time to acknowledge, in seconds: P0 immediately (15 min at most), P1 1 h, P2 4 h, P3 24 h. */
export const RESPONSE_TARGET_SECONDS: Record<Severity, number> = { P0: 15 * 60, P1: 3600, P2: 4 * 3600, P3: 24 * 3600 };
export const RESPONSE_TARGET_TEXT: Record<Severity, string> = {
  P0: 'immediate; acknowledge within 15 min',
  P1: 'acknowledge within 1 h',
  P2: 'acknowledge within 4 h',
  P3: 'acknowledge within 24 h',
};

export const STATUSES = ['triggered', 'acknowledged', 'investigating', 'identified', 'monitoring', 'resolved'] as const;
export type IncidentStatus = (typeof STATUSES)[number];

/**
 * Phase of each status. A change must move to a later phase (skipping is
 * allowed: a false alarm may be resolved at once), or sideways between
 * investigating and identified, or from monitoring back to investigating or
 * identified when the fix did not hold. Nothing returns to triggered or
 * acknowledged, and resolved is final.
 */
const PHASE: Record<IncidentStatus, number> = { triggered: 0, acknowledged: 1, investigating: 2, identified: 2, monitoring: 3, resolved: 4 };

export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  if (from === to || from === 'resolved') return false;
  if (PHASE[to] > PHASE[from]) return true;
  if (PHASE[to] === 2 && (PHASE[from] === 2 || from === 'monitoring')) return true;
  return false;
}

export function allowedNext(from: IncidentStatus): IncidentStatus[] {
  return STATUSES.filter((s) => canTransition(from, s));
}

/** The status page's components (Statuspage "components"); incidents name the ones they affect. */
export const COMPONENTS = ['api', 'database', 'jobs', 'imports', 'backups', 'auth'] as const;
export type Component = (typeof COMPONENTS)[number];
export const COMPONENT_NAMES: Record<Component, string> = {
  api: 'API',
  database: 'Database',
  jobs: 'Background jobs',
  imports: 'Imports',
  backups: 'Backups',
  auth: 'Sign-in and accounts',
};

export const isSeverity = (s: unknown): s is Severity => typeof s === 'string' && (SEVERITIES as readonly string[]).includes(s);
export const isStatus = (s: unknown): s is IncidentStatus => typeof s === 'string' && (STATUSES as readonly string[]).includes(s);
export const isComponent = (s: unknown): s is Component => typeof s === 'string' && (COMPONENTS as readonly string[]).includes(s);

/**
 * Who acts on an incident or maintenance window: a display name for the
 * timeline ("alice@example.com", "cli:root", "alertmanager", "watchdog") and,
 * for a logged-in user, the actor that goes into the audit row.
 */
export interface OpsActor {
  name: string;
  actor: Actor | null;
}

export const SYSTEM_ACTORS = {
  alertmanager: { name: 'alertmanager', actor: null },
  watchdog: { name: 'watchdog', actor: null },
} as const satisfies Record<string, OpsActor>;

/** Fields of the post-mortem an operator fills in with `incident update` (column names). */
export const POSTMORTEM_FIELDS = ['summary', 'impact', 'root_cause', 'trigger', 'resolution', 'detection', 'action_items', 'lessons_learned'] as const;
export type PostmortemField = (typeof POSTMORTEM_FIELDS)[number];
export const POSTMORTEM_TITLES: Record<PostmortemField, string> = {
  summary: 'Summary',
  impact: 'Impact',
  root_cause: 'Root cause',
  trigger: 'Trigger',
  resolution: 'Resolution',
  detection: 'Detection',
  action_items: 'Action items',
  lessons_learned: 'Lessons learned',
};
