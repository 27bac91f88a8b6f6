// Maintenance mode and open incidents as health and doctor see them. The
// services belong to the incidents/maintenance module; when a container does
// not carry them (a trimmed-down container in tests) the tables are read.
import { sql } from 'kysely';
import type { Container } from '../../app/container.ts';

export interface MaintenanceState {
  on: boolean;
  message?: string | undefined;
  until?: Date | null | undefined;
  since?: Date | undefined;
  by?: string | undefined;
}

interface MaintenanceLike {
  status(): Promise<MaintenanceState>;
}
interface IncidentsLike {
  countOpenBySeverity(): Promise<Record<string, number>>;
}

const services = (c: Container) => c as unknown as { maintenance?: MaintenanceLike; incidents?: IncidentsLike };

export async function maintenanceState(c: Container): Promise<MaintenanceState> {
  const m = services(c).maintenance;
  if (m) return m.status();
  const row = await c.db.kysely
    .selectFrom('maintenance_windows')
    .select(['message', 'starts_at', 'ends_at', 'started_by'])
    .where('ended_at', 'is', null)
    .where('starts_at', '<=', sql<Date>`now()`)
    .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', sql<Date>`now()`)]))
    .executeTakeFirst();
  return row ? { on: true, message: row.message, since: row.starts_at, until: row.ends_at, by: row.started_by } : { on: false };
}

/** Open (unresolved) incidents per severity P0-P3. */
export async function openIncidents(c: Container): Promise<Record<string, number>> {
  const i = services(c).incidents;
  if (i) return i.countOpenBySeverity();
  const rows = await c.db.kysely
    .selectFrom('incidents')
    .select(['severity', (eb) => eb.fn.countAll<bigint>().as('n')])
    .where('status', '<>', 'resolved')
    .groupBy('severity')
    .execute();
  const out: Record<string, number> = { P0: 0, P1: 0, P2: 0, P3: 0 };
  for (const r of rows) out[r.severity] = Number(r.n);
  return out;
}
