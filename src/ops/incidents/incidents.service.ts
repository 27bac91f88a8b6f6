// Incident use cases for the API, the CLI, the Alertmanager receiver and the
// watchdog. Each change locks the incident row, checks the lifecycle, writes
// the timeline entry and the audit row in the same transaction.
import type { Updateable } from 'kysely';
import type { Db } from '../../db/create-db.ts';
import type { IncidentsTable } from '../../db/schema-parts/ops.ts';
import { AppError, invalid, notFound } from '../../shared/app-error.ts';
import type { Executor } from '../../shared/executor.ts';
import { decodeCursor, encodeCursor, isUuid } from '../../shared/ids.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import * as repo from './incidents.repository.ts';
import { toDetail, toView, incidentRef, type IncidentDetail, type IncidentView } from './incidents.view.ts';
import { incidentStats, type IncidentStats } from './incidents.stats.ts';
import {
  allowedNext, canTransition, COMPONENTS, isComponent, isSeverity, isStatus, POSTMORTEM_FIELDS, POSTMORTEM_TITLES,
  type IncidentStatus, type OpsActor, type PostmortemField, type Severity,
} from './model.ts';
import { renderPostmortem } from './postmortem.ts';

const TITLE_MAX = 200;
const NOTE_MAX = 10_000;
const FIELD_MAX = 20_000;

export interface OpenInput {
  title: string;
  severity: string;
  components?: string[] | undefined;
  publicTitle?: string | undefined;
  note?: string | undefined;
  fields?: Partial<Record<PostmortemField, string>> | undefined;
}

export interface UpdateInput {
  status?: string | undefined;
  note?: string | undefined;
  title?: string | undefined;
  publicTitle?: string | undefined;
  severity?: string | undefined;
  components?: string[] | undefined;
  fields?: Partial<Record<PostmortemField, string>> | undefined;
}

export interface ListInput {
  open?: boolean | undefined;
  status?: string | undefined;
  severity?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

/** One alert as the receiver and the watchdog hand it over (already mapped to finhub's terms). */
export interface AlertInput {
  fingerprint: string;
  startsAt: Date;
  title: string;
  severity: Severity;
  components: string[];
  labels: Record<string, string>;
  /** Timeline text for this notification (description, runbook link). */
  message: string;
  /** Changes when the alert's content changes; an identical redelivery is ignored. */
  digest: string;
  source: 'alertmanager' | 'watchdog';
}

export type AlertOutcome = 'opened' | 'updated' | 'unchanged' | 'ignored' | 'resolved';

export interface IncidentsService {
  open(who: OpsActor, input: OpenInput): Promise<IncidentDetail>;
  ack(who: OpsActor, ref: string, note?: string): Promise<IncidentDetail>;
  update(who: OpsActor, ref: string, input: UpdateInput): Promise<IncidentDetail>;
  resolve(who: OpsActor, ref: string, input?: { note?: string | undefined; resolution?: string | undefined }): Promise<IncidentDetail>;
  list(input?: ListInput): Promise<{ items: IncidentView[]; next_cursor: string | null }>;
  get(ref: string): Promise<IncidentDetail>;
  postmortem(ref: string): Promise<string>;
  stats(period: { from: Date; to: Date }): Promise<IncidentStats>;
  countOpenBySeverity(): Promise<Record<Severity, number>>;
  /** Opens an incident for a firing alert, or adds to the open one with the same fingerprint. */
  openFromAlert(who: OpsActor, alert: AlertInput): Promise<{ outcome: AlertOutcome; incident?: IncidentView }>;
  /** Resolves the open incident of a resolved alert (through monitoring). */
  resolveFromAlert(who: OpsActor, alert: { fingerprint: string; startsAt?: Date | undefined; endsAt?: Date | undefined; message?: string | undefined }): Promise<{ outcome: AlertOutcome; incident?: IncidentView }>;
}

/** "INC-12", "12" or the UUID. */
export function parseIncidentRef(ref: string): repo.IncidentKey | undefined {
  const m = /^(?:inc-)?(\d{1,9})$/i.exec(ref.trim());
  if (m) return { number: Number(m[1]) };
  return isUuid(ref) ? { id: ref.toLowerCase() } : undefined;
}

function text(field: string, v: string | undefined, max: number, min = 0): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t.length < min || t.length > max) throw invalid(field, min > 0 ? `must be ${min}-${max} characters` : `must be at most ${max} characters`);
  return t;
}

function checkSeverity(field: string, s: string): Severity {
  if (!isSeverity(s)) throw invalid(field, `must be one of P0, P1, P2, P3 (got ${JSON.stringify(s)})`);
  return s;
}

function checkComponents(field: string, list: string[] | undefined): string[] | undefined {
  if (list === undefined) return undefined;
  const out = [...new Set(list.map((c) => c.trim().toLowerCase()))];
  const bad = out.filter((c) => !isComponent(c));
  if (bad.length) throw invalid(field, `unknown component ${bad.map((b) => JSON.stringify(b)).join(', ')}; known: ${COMPONENTS.join(', ')}`);
  return COMPONENTS.filter((c) => out.includes(c));
}

function checkFields(fields: Partial<Record<PostmortemField, string>> | undefined): Partial<Record<PostmortemField, string>> {
  const out: Partial<Record<PostmortemField, string>> = {};
  for (const [k, v] of Object.entries(fields ?? {})) {
    if (v === undefined) continue;
    if (!(POSTMORTEM_FIELDS as readonly string[]).includes(k)) throw invalid(`/body/${k}`, 'is not a post-mortem field');
    out[k as PostmortemField] = text(`/body/${k}`, v, FIELD_MAX)!;
  }
  return out;
}

const firstLine = (s: string, max = 300) => {
  const line = s.split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

export function createIncidentsService(deps: { db: Db; now?: () => Date }): IncidentsService {
  const k = deps.db.kysely;
  const now = deps.now ?? (() => new Date());

  async function load(ex: Executor, ref: string, lock = false): Promise<repo.IncidentRow> {
    const key = parseIncidentRef(ref);
    const row = key ? await repo.findIncident(ex, key, { lock }) : undefined;
    if (!row) throw notFound(`incident ${ref}`);
    return row;
  }

  async function detail(ex: Executor, row: repo.IncidentRow): Promise<IncidentDetail> {
    return toDetail(row, await repo.timeline(ex, row.id), now());
  }

  async function audit(ex: Executor, who: OpsActor, action: string, row: repo.IncidentRow, details: Record<string, unknown>) {
    await recordAudit(ex, who.actor, { action, entityType: 'incident', entityId: row.id, details: { ref: incidentRef(row.number), by: who.name, ...details } });
  }

  /** Moves row to `to` (checked), writing the status entry; returns the updated row. */
  async function transition(ex: Executor, who: OpsActor, row: repo.IncidentRow, to: IncidentStatus, message: string, extra: Updateable<IncidentsTable> = {}) {
    if (!canTransition(row.status, to)) {
      const allowed = allowedNext(row.status);
      throw new AppError(
        'CONFLICT',
        `${incidentRef(row.number)} is ${row.status}; it cannot move to ${to}${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (resolved incidents are final)'}`,
        { details: { current_status: row.status, requested_status: to, allowed_next: allowed } },
      );
    }
    const at = now();
    const patch: Updateable<IncidentsTable> = { ...extra, status: to };
    // Acknowledgement is a person's act: a system moving an alert along does not count towards MTTA.
    if (!row.acknowledged_at && !isSystem(who)) patch.acknowledged_at = at;
    if (to === 'resolved') patch.resolved_at = at;
    const updated = await repo.updateIncident(ex, row.id, patch);
    await repo.addEvent(ex, { incident_id: row.id, at, actor: who.name, kind: 'status', status: to, message });
    await audit(ex, who, `incident.${to === 'acknowledged' ? 'ack' : to === 'resolved' ? 'resolve' : 'status'}`, row, { from: row.status, to, note: message });
    return updated;
  }

  const isSystem = (who: OpsActor) => who.name === 'alertmanager' || who.name === 'watchdog';

  const tx = <T>(fn: (ex: Executor) => Promise<T>) => k.transaction().execute(fn);

  return {
    async open(who, input) {
      const title = text('/body/title', input.title, TITLE_MAX, 1)!;
      const severity = checkSeverity('/body/severity', input.severity);
      const components = checkComponents('/body/components', input.components) ?? [];
      const publicTitle = text('/body/public_title', input.publicTitle, TITLE_MAX, 1);
      const note = text('/body/note', input.note, NOTE_MAX);
      const fields = checkFields(input.fields);
      return tx(async (ex) => {
        const at = now();
        const row = await repo.insertIncident(ex, {
          title, severity, components, public_title: publicTitle ?? null, source: 'manual', labels: JSON.stringify({}), created_by: who.name,
          triggered_at: at, updated_at: at, ...fields,
        });
        await repo.addEvent(ex, { incident_id: row.id, at, actor: who.name, kind: 'status', status: 'triggered', message: note || `opened (${severity}): ${title}` });
        await audit(ex, who, 'incident.open', row, { severity, components, title });
        return detail(ex, row);
      });
    },

    async ack(who, ref, note) {
      const n = text('/body/note', note, NOTE_MAX);
      return tx(async (ex) => {
        const row = await load(ex, ref, true);
        return detail(ex, await transition(ex, who, row, 'acknowledged', n || 'acknowledged'));
      });
    },

    async update(who, ref, input) {
      const status = input.status === undefined ? undefined : input.status;
      if (status !== undefined && !isStatus(status)) throw invalid('/body/status', `must be one of investigating, identified, monitoring, resolved (got ${JSON.stringify(status)})`);
      const note = text('/body/note', input.note, NOTE_MAX);
      const title = text('/body/title', input.title, TITLE_MAX, 1);
      const publicTitle = text('/body/public_title', input.publicTitle, TITLE_MAX, 1);
      const severity = input.severity === undefined ? undefined : checkSeverity('/body/severity', input.severity);
      const components = checkComponents('/body/components', input.components);
      const fields = checkFields(input.fields);
      const changes: Updateable<IncidentsTable> = { ...fields };
      if (title !== undefined) changes.title = title;
      if (publicTitle !== undefined) changes.public_title = publicTitle;
      if (severity !== undefined) changes.severity = severity;
      if (components !== undefined) changes.components = components;
      if (status === undefined && !note && Object.keys(changes).length === 0) {
        throw new AppError('VALIDATION_FAILED', 'nothing to update: give a status, a note or a field', { errors: [{ field: '/body', message: 'needs at least one of status, note, or a field' }] });
      }
      return tx(async (ex) => {
        let row = await load(ex, ref, true);
        const at = now();
        if (Object.keys(changes).length > 0) {
          const before = row;
          row = await repo.updateIncident(ex, row.id, changes);
          for (const [key, value] of Object.entries(changes)) {
            const label = (POSTMORTEM_TITLES as Record<string, string>)[key] ?? key.replaceAll('_', ' ');
            const shown = Array.isArray(value) ? value.join(', ') || '(none)' : firstLine(String(value));
            await repo.addEvent(ex, { incident_id: row.id, at, actor: who.name, kind: 'field', status: null, message: `${label}: ${shown}` });
          }
          await audit(ex, who, 'incident.update', before, { changed: Object.keys(changes), ...(severity ? { severity } : {}), ...(components ? { components } : {}) });
        }
        if (status !== undefined) row = await transition(ex, who, row, status, note || status);
        else if (note) {
          await repo.addEvent(ex, { incident_id: row.id, at, actor: who.name, kind: 'note', status: null, message: note });
          await audit(ex, who, 'incident.note', row, { note });
          row = await repo.updateIncident(ex, row.id, {});
        }
        return detail(ex, row);
      });
    },

    async resolve(who, ref, input = {}) {
      const note = text('/body/note', input.note, NOTE_MAX);
      const resolution = text('/body/resolution', input.resolution, FIELD_MAX);
      return tx(async (ex) => {
        const row = await load(ex, ref, true);
        const extra: Updateable<IncidentsTable> = resolution ? { resolution } : {};
        return detail(ex, await transition(ex, who, row, 'resolved', note || resolution || 'resolved', extra));
      });
    },

    async list(input = {}) {
      if (input.status !== undefined && input.status !== 'open' && !isStatus(input.status)) throw invalid('/query/status', 'must be open or one of the incident statuses');
      if (input.severity !== undefined && !isSeverity(input.severity)) throw invalid('/query/severity', 'must be one of P0, P1, P2, P3');
      const limit = input.limit ?? 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw invalid('/query/limit', 'must be an integer 1-200');
      const c = decodeCursor(input.cursor, ['t', 'id'] as const);
      const after = c && !Number.isNaN(Date.parse(c.t)) && isUuid(c.id) ? { triggeredAt: new Date(c.t), id: c.id } : undefined;
      if (c && !after) throw invalid('/query/cursor', 'not a cursor returned by this list');
      const rows = await repo.listIncidents(k, {
        open: input.open || input.status === 'open',
        status: input.status && input.status !== 'open' ? (input.status as IncidentStatus) : undefined,
        severity: input.severity as Severity | undefined,
        after,
        limit: limit + 1,
      });
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      const at = now();
      return { items: items.map((r) => toView(r, at)), next_cursor: rows.length > limit && last ? encodeCursor({ t: last.triggered_at.toISOString(), id: last.id }) : null };
    },

    async get(ref) {
      return detail(k, await load(k, ref));
    },

    async postmortem(ref) {
      return renderPostmortem(await detail(k, await load(k, ref)));
    },

    stats: (period) => incidentStats(k, period),

    countOpenBySeverity: () => repo.countOpenBySeverity(k),

    async openFromAlert(who, alert) {
      // Two receivers (or two servers' watchdogs) may race on the same fingerprint;
      // the unique index lets one insert win and the other then finds it open.
      for (let attempt = 0; ; attempt++) {
        try {
          return await tx(async (ex) => {
            const open = await repo.findOpenByFingerprint(ex, alert.fingerprint, { lock: true });
            const at = now();
            if (open) {
              if (open.alert_digest === alert.digest) return { outcome: 'unchanged' as const, incident: toView(open, at) };
              const row = await repo.updateIncident(ex, open.id, { alert_digest: alert.digest, labels: JSON.stringify(alert.labels), alert_starts_at: alert.startsAt });
              await repo.addEvent(ex, { incident_id: open.id, at, actor: who.name, kind: 'alert', status: null, message: `still firing: ${alert.message}` });
              return { outcome: 'updated' as const, incident: toView(row, at) };
            }
            // The same occurrence was already resolved (a late redelivery, or an operator closed it): leave it closed.
            if (await repo.findResolvedOccurrence(ex, alert.fingerprint, alert.startsAt)) return { outcome: 'ignored' as const };
            const row = await repo.insertIncident(ex, {
              title: alert.title.length > TITLE_MAX ? `${alert.title.slice(0, TITLE_MAX - 1)}…` : alert.title,
              severity: alert.severity,
              components: COMPONENTS.filter((c) => alert.components.includes(c)),
              source: alert.source,
              fingerprint: alert.fingerprint,
              alert_starts_at: alert.startsAt,
              alert_digest: alert.digest,
              labels: JSON.stringify(alert.labels),
              created_by: who.name,
              triggered_at: at,
              updated_at: at,
            });
            await repo.addEvent(ex, { incident_id: row.id, at, actor: who.name, kind: 'status', status: 'triggered', message: `firing: ${alert.message}` });
            await audit(ex, who, 'incident.open', row, { severity: alert.severity, fingerprint: alert.fingerprint, source: alert.source });
            return { outcome: 'opened' as const, incident: toView(row, at) };
          });
        } catch (e) {
          if (attempt === 0 && (e as { code?: string }).code === '23505') continue;
          throw e;
        }
      }
    },

    async resolveFromAlert(who, alert) {
      return tx(async (ex) => {
        let row = await repo.findOpenByFingerprint(ex, alert.fingerprint, { lock: true });
        if (!row) return { outcome: 'ignored' as const };
        // A resolved notice of an older occurrence does not close a newer one.
        if (alert.startsAt && row.alert_starts_at && alert.startsAt < row.alert_starts_at) return { outcome: 'ignored' as const, incident: toView(row, now()) };
        const label = who.name === 'alertmanager' ? 'Alertmanager' : who.name;
        const when = alert.endsAt ? ` at ${alert.endsAt.toISOString()}` : '';
        if (row.status !== 'monitoring') {
          row = await transition(ex, who, row, 'monitoring', `alert cleared${when}${alert.message ? `: ${alert.message}` : ''}; monitoring`);
        }
        row = await transition(ex, who, row, 'resolved', `resolved by ${label}`);
        return { outcome: 'resolved' as const, incident: toView(row, now()) };
      });
    },
  };
}
