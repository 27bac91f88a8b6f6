// Kysely row types for the ops tables (see migrations/*_ops.ts).
import type { ColumnType, Generated } from 'kysely';

type Ts = ColumnType<Date, Date | string | undefined, Date | string>;
type Jsonb<T> = ColumnType<T, string | T, string | T>;

// ---- incidents and maintenance mode (ops-incidents) ----
export interface IncidentsTable {
  id: Generated<string>;
  number: ColumnType<number, never, never>;
  title: string;
  public_title: string | null;
  severity: 'P0' | 'P1' | 'P2' | 'P3';
  status: Generated<'triggered' | 'acknowledged' | 'investigating' | 'identified' | 'monitoring' | 'resolved'>;
  components: ColumnType<string[], string[] | undefined, string[]>;
  source: Generated<'manual' | 'alertmanager' | 'watchdog'>;
  fingerprint: string | null;
  alert_starts_at: Ts | null;
  alert_digest: string | null;
  labels: Jsonb<Record<string, string>>;
  summary: string | null;
  impact: string | null;
  root_cause: string | null;
  trigger: string | null;
  resolution: string | null;
  detection: string | null;
  action_items: string | null;
  lessons_learned: string | null;
  created_by: string;
  triggered_at: Ts;
  acknowledged_at: Ts | null;
  resolved_at: Ts | null;
  updated_at: Ts;
}

export interface IncidentEventsTable {
  seq: ColumnType<bigint, never, never>;
  incident_id: string;
  at: Ts;
  actor: string;
  kind: 'status' | 'note' | 'field' | 'alert';
  status: string | null;
  message: string;
}

export interface MaintenanceWindowsTable {
  id: Generated<string>;
  message: string;
  reason: string | null;
  starts_at: Ts;
  ends_at: Ts | null;
  started_by: string;
  ended_at: Ts | null;
  ended_by: string | null;
  end_reason: string | null;
}

// ---- ops snapshots and database maintenance runs (ops-health) ----
type Count = ColumnType<bigint, bigint | number | string, bigint | number | string>;

export interface OpsSnapshotsTable {
  id: Generated<string>;
  taken_at: Ts;
  users: Count;
  ledgers: Count;
  transactions: Count;
  database_size_bytes: Count | null;
  jobs_queued: Count;
  jobs_running: Count;
  jobs_dead: Count;
  jobs_oldest_queued_age_seconds: number;
}

/** Per-route request deltas of one flush; `buckets` are non-cumulative counts per `le` of OpsTrafficRoutes. */
export interface OpsTrafficRoute {
  method: string;
  route: string;
  count: number;
  server_errors: number;
  client_errors: number;
  buckets: number[];
}
export interface OpsTrafficRoutes {
  /** Upper bounds (seconds) of the histogram buckets; the last bucket is +Inf. */
  le: number[];
  routes: OpsTrafficRoute[];
}

export interface OpsSnapshotsTrafficTable {
  id: Generated<string>;
  instance: string;
  period_start: Ts;
  period_end: Ts;
  requests: Count;
  server_errors: Count;
  client_errors: Count;
  failed_logins: Count;
  jobs_succeeded: Count;
  jobs_failed: Count;
  jobs_dead: Count;
  routes: Jsonb<OpsTrafficRoutes>;
}

export interface MaintenanceStep {
  name: string;
  ok: boolean;
  detail: string;
  seconds: number;
}

export interface MaintenanceRunsTable {
  id: Generated<string>;
  started_at: Ts;
  finished_at: Ts | null;
  trigger: 'schedule' | 'cli';
  status: Generated<'running' | 'succeeded' | 'failed'>;
  steps: Jsonb<MaintenanceStep[]>;
}

export interface OpsTables {
  ops_snapshots: OpsSnapshotsTable;
  ops_snapshots_traffic: OpsSnapshotsTrafficTable;
  maintenance_runs: MaintenanceRunsTable;
  incidents: IncidentsTable;
  incident_events: IncidentEventsTable;
  maintenance_windows: MaintenanceWindowsTable;
}
