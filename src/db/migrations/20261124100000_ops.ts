// Operations schema, shared by the ops work: each part has its own block in up()
// and down(). Must stay valid at all times (every test database runs it).
import { sql, type Kysely } from 'kysely';

// ---- incidents and maintenance mode (ops-incidents) ----
// The component list is the status page's fixed set (src/ops/incidents/model.ts).
const INCIDENTS_UP = `
create table incidents (
  id uuid primary key default gen_random_uuid(),
  number integer generated always as identity unique,
  title text not null check (length(title) between 1 and 200),
  public_title text check (length(public_title) between 1 and 200),
  severity text not null check (severity in ('P0', 'P1', 'P2', 'P3')),
  status text not null default 'triggered'
    check (status in ('triggered', 'acknowledged', 'investigating', 'identified', 'monitoring', 'resolved')),
  components text[] not null default '{}'
    check (components <@ array['api', 'database', 'jobs', 'imports', 'backups', 'auth']::text[]),
  source text not null default 'manual' check (source in ('manual', 'alertmanager', 'watchdog')),
  fingerprint text check (length(fingerprint) between 1 and 500),
  alert_starts_at timestamptz,
  alert_digest text,
  labels jsonb not null default '{}',
  summary text,
  impact text,
  root_cause text,
  trigger text,
  resolution text,
  detection text,
  action_items text,
  lessons_learned text,
  created_by text not null,
  triggered_at timestamptz not null default now(),
  acknowledged_at timestamptz,
  resolved_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint incidents_resolved_at check ((status = 'resolved') = (resolved_at is not null))
);
-- One open incident per alert fingerprint: the dedupe of Alertmanager and the watchdog.
create unique index incidents_open_fingerprint_key on incidents (fingerprint) where fingerprint is not null and status <> 'resolved';
create index incidents_fingerprint_idx on incidents (fingerprint, alert_starts_at) where fingerprint is not null;
create index incidents_triggered_idx on incidents (triggered_at desc, id desc);
create index incidents_open_idx on incidents (severity) where status <> 'resolved';

create table incident_events (
  seq bigint generated always as identity primary key,
  incident_id uuid not null references incidents(id) on delete cascade,
  at timestamptz not null default clock_timestamp(),
  actor text not null check (length(actor) between 1 and 200),
  kind text not null check (kind in ('status', 'note', 'field', 'alert')),
  status text,
  message text not null check (length(message) <= 10000)
);
create index incident_events_incident_idx on incident_events (incident_id, seq);

create table maintenance_windows (
  id uuid primary key default gen_random_uuid(),
  message text not null check (length(message) between 1 and 500),
  reason text check (length(reason) <= 2000),
  starts_at timestamptz not null default now(),
  ends_at timestamptz,
  started_by text not null,
  ended_at timestamptz,
  ended_by text,
  end_reason text,
  constraint maintenance_windows_ends_after_start check (ends_at is null or ends_at > starts_at)
);
-- At most one window is switched on at a time (it may still have run out by ends_at).
create unique index maintenance_windows_one_open on maintenance_windows ((true)) where ended_at is null;
`;
const INCIDENTS_DOWN = `
drop table if exists maintenance_windows;
drop table if exists incident_events;
drop table if exists incidents;
`;

// ---- health, ops snapshots, database maintenance, request id on jobs (ops-health) ----
// ops_snapshots: fleet-wide counts, written by the hourly ops.snapshot job.
// ops_snapshots_traffic: request/job deltas of ONE process since its previous
// flush (each process flushes its own in-memory counters), summed by reports.
const OPS_HEALTH_UP = `
alter table jobs add column request_id text;

create table ops_snapshots (
  id uuid primary key default gen_random_uuid(),
  taken_at timestamptz not null default now(),
  users bigint not null,
  ledgers bigint not null,
  transactions bigint not null,
  database_size_bytes bigint,
  jobs_queued bigint not null,
  jobs_running bigint not null,
  jobs_dead bigint not null,
  jobs_oldest_queued_age_seconds double precision not null
);
create index ops_snapshots_taken_at_idx on ops_snapshots (taken_at);

create table ops_snapshots_traffic (
  id uuid primary key default gen_random_uuid(),
  instance text not null,
  period_start timestamptz not null,
  period_end timestamptz not null,
  requests bigint not null,
  server_errors bigint not null,
  client_errors bigint not null,
  failed_logins bigint not null,
  jobs_succeeded bigint not null,
  jobs_failed bigint not null,
  jobs_dead bigint not null,
  routes jsonb not null,
  constraint ops_snapshots_traffic_period check (period_end >= period_start)
);
create index ops_snapshots_traffic_end_idx on ops_snapshots_traffic (period_end);

create table maintenance_runs (
  id uuid primary key default gen_random_uuid(),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  trigger text not null check (trigger in ('schedule', 'cli')),
  status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
  steps jsonb not null default '[]'
);
create index maintenance_runs_started_idx on maintenance_runs (started_at desc);
`;
const OPS_HEALTH_DOWN = `
drop table if exists maintenance_runs;
drop table if exists ops_snapshots_traffic;
drop table if exists ops_snapshots;
alter table jobs drop column if exists request_id;
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(INCIDENTS_UP).execute(db);
  await sql.raw(OPS_HEALTH_UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(OPS_HEALTH_DOWN).execute(db);
  await sql.raw(INCIDENTS_DOWN).execute(db);
}
