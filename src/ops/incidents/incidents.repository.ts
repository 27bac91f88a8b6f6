// Kysely queries for incidents and their timelines. The executor (db or an open
// transaction) comes first; the service owns the transaction.
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { IncidentEventsTable, IncidentsTable } from '../../db/schema-parts/ops.ts';
import type { Executor } from '../../shared/executor.ts';
import type { IncidentStatus, Severity } from './model.ts';

export type IncidentRow = Selectable<IncidentsTable>;
export type IncidentEventRow = Omit<Selectable<IncidentEventsTable>, 'seq'>;

/** An incident reference: its UUID or its number. */
export type IncidentKey = { id: string } | { number: number };

export async function findIncident(ex: Executor, key: IncidentKey, opts: { lock?: boolean } = {}): Promise<IncidentRow | undefined> {
  let q = ex.selectFrom('incidents').selectAll();
  q = 'id' in key ? q.where('id', '=', key.id) : q.where('number', '=', key.number);
  if (opts.lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function findOpenByFingerprint(ex: Executor, fingerprint: string, opts: { lock?: boolean } = {}): Promise<IncidentRow | undefined> {
  let q = ex.selectFrom('incidents').selectAll().where('fingerprint', '=', fingerprint).where('status', '<>', 'resolved');
  if (opts.lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** A resolved incident of the same alert occurrence (same fingerprint and start time). */
export async function findResolvedOccurrence(ex: Executor, fingerprint: string, startsAt: Date): Promise<IncidentRow | undefined> {
  return ex
    .selectFrom('incidents')
    .selectAll()
    .where('fingerprint', '=', fingerprint)
    .where('alert_starts_at', '=', startsAt)
    .where('status', '=', 'resolved')
    .orderBy('triggered_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function insertIncident(ex: Executor, row: Insertable<IncidentsTable>): Promise<IncidentRow> {
  return ex.insertInto('incidents').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateIncident(ex: Executor, id: string, patch: Updateable<IncidentsTable>): Promise<IncidentRow> {
  return ex.updateTable('incidents').set({ ...patch, updated_at: new Date() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

export async function addEvent(ex: Executor, e: Insertable<IncidentEventsTable>): Promise<void> {
  await ex.insertInto('incident_events').values(e).execute();
}

export async function timeline(ex: Executor, incidentId: string): Promise<IncidentEventRow[]> {
  return ex
    .selectFrom('incident_events')
    .select(['incident_id', 'at', 'actor', 'kind', 'status', 'message'])
    .where('incident_id', '=', incidentId)
    .orderBy('seq')
    .execute();
}

export interface ListFilter {
  open?: boolean | undefined;
  status?: IncidentStatus | undefined;
  severity?: Severity | undefined;
  /** Keyset: strictly after this (triggered_at, id), newest first. */
  after?: { triggeredAt: Date; id: string } | undefined;
  limit: number;
}

export async function listIncidents(ex: Executor, f: ListFilter): Promise<IncidentRow[]> {
  let q = ex.selectFrom('incidents').selectAll();
  if (f.open) q = q.where('status', '<>', 'resolved');
  if (f.status) q = q.where('status', '=', f.status);
  if (f.severity) q = q.where('severity', '=', f.severity);
  if (f.after) {
    const a = f.after;
    q = q.where((eb) => eb.or([eb('triggered_at', '<', a.triggeredAt), eb.and([eb('triggered_at', '=', a.triggeredAt), eb('id', '<', a.id)])]));
  }
  return q.orderBy('triggered_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}

/** Incidents triggered in [from, to). */
export async function incidentsTriggeredIn(ex: Executor, from: Date, to: Date): Promise<IncidentRow[]> {
  return ex.selectFrom('incidents').selectAll().where('triggered_at', '>=', from).where('triggered_at', '<', to).orderBy('triggered_at').execute();
}

export async function countOpenBySeverity(ex: Executor): Promise<Record<Severity, number>> {
  const rows = await ex
    .selectFrom('incidents')
    .select(['severity', (eb) => eb.fn.countAll<string | number | bigint>().as('n')])
    .where('status', '<>', 'resolved')
    .groupBy('severity')
    .execute();
  const out: Record<Severity, number> = { P0: 0, P1: 0, P2: 0, P3: 0 };
  for (const r of rows) out[r.severity] = Number(r.n);
  return out;
}

export async function userEmail(ex: Executor, userId: string): Promise<string | undefined> {
  return (await ex.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst())?.email;
}
