// The public status summary, shaped like Atlassian Statuspage's
// /api/v2/summary.json. It says what is affected and how badly, never why:
// no host names, error texts, versions or operator notes. Incident names are
// the operator's public title, or a generic one built from impact and components.
import type { Registry } from 'prom-client';
import type { Db } from '../../db/create-db.ts';
import { COMPONENT_NAMES, COMPONENTS, isComponent, type Component, type Severity } from '../incidents/model.ts';
import type { MaintenanceService } from '../maintenance/maintenance.service.ts';
import type { SloSpec } from '../slo/spec.ts';
import { readSeries, sumOf } from '../watchdog/series.ts';

export type ComponentStatus = 'operational' | 'degraded_performance' | 'partial_outage' | 'major_outage' | 'under_maintenance';
export type Indicator = 'none' | 'minor' | 'major' | 'critical';
export type PublicIncidentStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved';
type Impact = 'none' | 'minor' | 'major' | 'critical';

export interface StatusSummary {
  page: { id: string; name: string; time_zone: 'Etc/UTC'; updated_at: string };
  status: { indicator: Indicator; description: string };
  components: { id: Component; name: string; status: ComponentStatus; position: number; updated_at: string }[];
  incidents: {
    id: string;
    name: string;
    status: PublicIncidentStatus;
    impact: Impact;
    created_at: string;
    updated_at: string;
    started_at: string;
    monitoring_at: string | null;
    resolved_at: null;
    components: { id: string; name: string }[];
    incident_updates: { status: PublicIncidentStatus; body: string; created_at: string; display_at: string }[];
  }[];
  scheduled_maintenances: {
    id: string;
    name: string;
    status: 'in_progress';
    impact: 'maintenance';
    scheduled_for: string;
    scheduled_until: string | null;
    created_at: string;
    updated_at: string;
    components: { id: string; name: string }[];
    incident_updates: { status: 'in_progress'; body: string; created_at: string; display_at: string }[];
  }[];
  /** finhub's addition: the availability SLO's error budget as far as this server has seen it. */
  error_budget: ErrorBudget | null;
}

export interface ErrorBudget {
  slo: string;
  objective: number;
  /** The SLO's compliance window (e.g. "30d"); the figures below do NOT cover it. */
  slo_window: string;
  /** What the figures cover: this server process's own request counters since it started. */
  measured_over: 'since_server_start';
  measured_since: string;
  total_requests: number;
  failed_requests: number;
  error_ratio: number;
  /** 1 − error_ratio / (1 − objective): 1 = untouched, 0 = spent, negative = overspent. */
  remaining_ratio: number;
}

const IMPACT: Record<Severity, Impact> = { P0: 'critical', P1: 'major', P2: 'minor', P3: 'minor' };
const COMPONENT_EFFECT: Record<Severity, ComponentStatus> = { P0: 'major_outage', P1: 'partial_outage', P2: 'degraded_performance', P3: 'degraded_performance' };
const RANK: Record<ComponentStatus, number> = { operational: 0, degraded_performance: 1, under_maintenance: 2, partial_outage: 3, major_outage: 4 };
const INDICATOR_RANK: Record<Indicator, number> = { none: 0, minor: 1, major: 2, critical: 3 };
const DESCRIPTION: Record<Indicator, string> = { none: 'All Systems Operational', minor: 'Minor Service Outage', major: 'Partial System Outage', critical: 'Major System Outage' };
const GENERIC_NAME: Record<Severity, string> = { P0: 'Major outage', P1: 'Partial outage', P2: 'Degraded performance', P3: 'Degraded performance' };

export function publicStatus(s: string): PublicIncidentStatus {
  return s === 'identified' || s === 'monitoring' || s === 'resolved' ? s : 'investigating';
}

const UPDATE_BODY: Record<PublicIncidentStatus, string> = {
  investigating: 'We are investigating this issue.',
  identified: 'The cause has been identified and a fix is being worked on.',
  monitoring: 'A fix has been put in place and we are monitoring the results.',
  resolved: 'This incident has been resolved.',
};

export interface StatusDeps {
  db: Db;
  maintenance: MaintenanceService;
  registry: Registry;
  pageName: string;
  startedAt: Date;
  /** The SLO spec, or null when it could not be loaded (no error budget then). */
  spec: SloSpec | null;
  now?: () => Date;
}

export async function errorBudget(registry: Registry, spec: SloSpec | null, since: Date): Promise<ErrorBudget | null> {
  const slo = spec?.slos.find((s) => s.name === 'availability') ?? spec?.slos[0];
  if (!slo) return null;
  const series = await readSeries(registry);
  const total = sumOf(series, slo.sli.total) ?? 0;
  const counted = sumOf(series, slo.sli.selector) ?? 0;
  const bad = Math.max(0, slo.sli.kind === 'errors' ? counted : total - counted);
  const errorRatio = total > 0 ? bad / total : 0;
  return {
    slo: slo.name,
    objective: slo.objective,
    slo_window: slo.window.text,
    measured_over: 'since_server_start',
    measured_since: since.toISOString(),
    total_requests: total,
    failed_requests: bad,
    error_ratio: Number(errorRatio.toPrecision(6)),
    remaining_ratio: Number((1 - errorRatio / (1 - slo.objective)).toPrecision(6)),
  };
}

export async function buildStatusSummary(d: StatusDeps): Promise<StatusSummary> {
  const now = (d.now ?? (() => new Date()))();
  const k = d.db.kysely;
  const [open, events, lastChange, m, budget] = await Promise.all([
    k.selectFrom('incidents').select(['id', 'public_title', 'severity', 'status', 'components', 'triggered_at', 'updated_at']).where('status', '<>', 'resolved').orderBy('triggered_at', 'desc').execute(),
    k
      .selectFrom('incident_events')
      .innerJoin('incidents', 'incidents.id', 'incident_events.incident_id')
      .select(['incident_events.incident_id', 'incident_events.at', 'incident_events.status'])
      .where('incidents.status', '<>', 'resolved')
      .where('incident_events.kind', '=', 'status')
      .orderBy('incident_events.seq')
      .execute(),
    k
      .selectFrom((eb) => eb.selectFrom('incidents').select((e) => [e.fn<string>('unnest', ['components']).as('component'), 'updated_at']).as('x'))
      .select(['x.component', (eb) => eb.fn.max('x.updated_at').as('at')])
      .groupBy('x.component')
      .execute(),
    d.maintenance.status(),
    errorBudget(d.registry, d.spec, d.startedAt),
  ]);

  const changedAt = new Map<string, Date>(lastChange.map((r) => [r.component, new Date(r.at as unknown as string | Date)]));
  const componentStatus = new Map<Component, ComponentStatus>(COMPONENTS.map((c) => [c, m.on ? 'under_maintenance' : 'operational']));
  let indicator: Indicator = 'none';
  for (const i of open) {
    if (INDICATOR_RANK[IMPACT[i.severity]] > INDICATOR_RANK[indicator]) indicator = IMPACT[i.severity] as Indicator;
    for (const c of i.components.filter(isComponent)) {
      const effect = COMPONENT_EFFECT[i.severity];
      if (RANK[effect] > RANK[componentStatus.get(c)!]) componentStatus.set(c, effect);
    }
  }
  const description = indicator === 'none' && m.on ? 'Service Under Maintenance' : DESCRIPTION[indicator];
  if (indicator === 'none' && m.on) indicator = 'minor';

  const iso = (x: Date) => x.toISOString();
  const componentRef = (c: string) => ({ id: c, name: isComponent(c) ? COMPONENT_NAMES[c] : c });
  const incidents = open.map((i) => {
    const comps = i.components.filter(isComponent);
    const updates: StatusSummary['incidents'][number]['incident_updates'] = [];
    let monitoringAt: Date | null = null;
    for (const e of events.filter((x) => x.incident_id === i.id)) {
      const st = publicStatus(e.status ?? '');
      if (st === 'monitoring') monitoringAt = e.at;
      if (updates[updates.length - 1]?.status === st) continue; // triggered, acknowledged, investigating read the same from outside
      updates.push({ status: st, body: UPDATE_BODY[st], created_at: iso(e.at), display_at: iso(e.at) });
    }
    const name = i.public_title ?? `${GENERIC_NAME[i.severity]}${comps.length ? `: ${comps.map((c) => COMPONENT_NAMES[c]).join(', ')}` : ''}`;
    return {
      id: i.id,
      name,
      status: publicStatus(i.status),
      impact: IMPACT[i.severity],
      created_at: iso(i.triggered_at),
      updated_at: iso(i.updated_at),
      started_at: iso(i.triggered_at),
      monitoring_at: monitoringAt ? iso(monitoringAt) : null,
      resolved_at: null,
      components: comps.map(componentRef),
      incident_updates: updates.reverse(),
    };
  });

  const maintenances: StatusSummary['scheduled_maintenances'] =
    m.on && m.id && m.since
      ? [{
          id: m.id,
          name: m.message ?? 'Maintenance',
          status: 'in_progress',
          impact: 'maintenance',
          scheduled_for: iso(m.since),
          scheduled_until: m.until ? iso(m.until) : null,
          created_at: iso(m.since),
          updated_at: iso(m.since),
          components: COMPONENTS.map(componentRef),
          incident_updates: [{ status: 'in_progress', body: m.message ?? 'Maintenance is in progress.', created_at: iso(m.since), display_at: iso(m.since) }],
        }]
      : [];

  const components = COMPONENTS.map((c, position) => {
    const times = [changedAt.get(c), m.on ? m.since : undefined, d.startedAt].filter((x): x is Date => x instanceof Date && !Number.isNaN(x.getTime()));
    return { id: c, name: COMPONENT_NAMES[c], status: componentStatus.get(c)!, position: position + 1, updated_at: iso(new Date(Math.max(...times.map((t) => t.getTime())))) };
  });

  return {
    page: { id: 'finhub', name: d.pageName, time_zone: 'Etc/UTC', updated_at: iso(now) },
    status: { indicator, description },
    components,
    incidents,
    scheduled_maintenances: maintenances,
    error_budget: budget,
  };
}
