// Alertmanager webhook (payload version 4) to incidents: one incident per alert
// fingerprint. Firing alerts open or add to it, resolved alerts close it.
// A redelivered, identical payload changes nothing.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isComponent, isSeverity, SYSTEM_ACTORS, type Severity } from './model.ts';
import type { AlertInput, AlertOutcome, IncidentsService } from './incidents.service.ts';

export interface AmAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string> | undefined;
  startsAt: string;
  endsAt?: string | undefined;
  fingerprint: string;
  generatorURL?: string | undefined;
}

export interface AmPayload {
  version: string;
  status: 'firing' | 'resolved';
  alerts: AmAlert[];
  [k: string]: unknown;
}

/** Constant-time comparison of a presented bearer token with the configured one. */
export function tokenMatches(presented: string | undefined, expected: string | undefined): boolean {
  if (!presented || !expected) return false;
  // Hash both so the comparison has a fixed length and leaks neither value's length.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** `incident_severity` label when valid, else `severity`: critical → P1, anything else → P3. */
export function severityOf(labels: Record<string, string>): Severity {
  const explicit = labels.incident_severity;
  if (isSeverity(explicit)) return explicit;
  return labels.severity === 'critical' ? 'P1' : 'P3';
}

/** The `component` label (comma-separated, as the rules generated from ops/slo.yaml set it); unknown names are dropped. */
export function componentsOf(labels: Record<string, string>): string[] {
  return (labels.component ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(isComponent);
}

export function digestOf(a: { status: string; labels: Record<string, string>; annotations?: Record<string, string> | undefined; startsAt: string }): string {
  const sorted = (o: Record<string, string> = {}) => Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return createHash('sha256').update(JSON.stringify([a.status, sorted(a.labels), sorted(a.annotations), a.startsAt])).digest('hex').slice(0, 32);
}

export function toAlertInput(a: AmAlert, source: AlertInput['source'] = 'alertmanager'): AlertInput {
  const ann = a.annotations ?? {};
  const name = a.labels.alertname ?? 'alert';
  const summary = ann.summary?.trim();
  const detail = [ann.description?.trim() || summary || name, ann.runbook_url ? `runbook: ${ann.runbook_url}` : ''].filter(Boolean).join(' — ');
  return {
    fingerprint: a.fingerprint,
    startsAt: new Date(a.startsAt),
    title: summary ? `${name}: ${summary}` : name,
    severity: severityOf(a.labels),
    components: componentsOf(a.labels),
    labels: a.labels,
    message: detail,
    digest: digestOf(a),
    source,
  };
}

export interface ReceiveResult {
  fingerprint: string;
  status: AmAlert['status'];
  outcome: AlertOutcome;
  incident: string | null;
}

/** Applies every alert of one webhook call, in order. */
export async function receiveAlertmanager(incidents: IncidentsService, payload: AmPayload): Promise<ReceiveResult[]> {
  const out: ReceiveResult[] = [];
  for (const a of payload.alerts) {
    const r =
      a.status === 'firing'
        ? await incidents.openFromAlert(SYSTEM_ACTORS.alertmanager, toAlertInput(a))
        : await incidents.resolveFromAlert(SYSTEM_ACTORS.alertmanager, {
            fingerprint: a.fingerprint,
            startsAt: new Date(a.startsAt),
            endsAt: a.endsAt && !a.endsAt.startsWith('0001-') ? new Date(a.endsAt) : undefined,
            message: a.annotations?.summary,
          });
    out.push({ fingerprint: a.fingerprint, status: a.status, outcome: r.outcome, incident: r.incident?.ref ?? null });
  }
  return out;
}
