// Read-only database diagnostics from PostgreSQL's statistics views, for
// `finhub db …` and the ops report. Where the embedded engine cannot answer, the
// result says why instead of failing.
import { sql } from 'kysely';
import type { Db } from '../../db/create-db.ts';

export type Availability<T> =
  | { available: true; rows: T[]; note?: string }
  | { available: false; reason: string; hint: string };

export interface SlowQuery {
  calls: number;
  totalMs: number;
  meanMs: number;
  maxMs: number;
  rows: number;
  query: string;
}

export const ENABLE_PG_STAT_STATEMENTS = [
  'enable pg_stat_statements on the PostgreSQL server:',
  "  1. in postgresql.conf: shared_preload_libraries = 'pg_stat_statements' (then restart PostgreSQL)",
  '  2. in the finhub database, as a superuser: create extension pg_stat_statements;',
].join('\n');

const oneLine = (q: string, max = 200) => {
  const s = q.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
};

/** Statements by mean execution time (pg_stat_statements); normalised text, so no literal values. */
export async function slowQueries(db: Db, limit = 20): Promise<Availability<SlowQuery>> {
  if (db.engine === 'pglite') {
    return { available: false, reason: 'the embedded database (PGlite) has no pg_stat_statements', hint: 'finhub_db_query_duration_seconds in /metrics shows query latency; per-statement statistics need PostgreSQL' };
  }
  const ext = await sql<{ extversion: string }>`select extversion from pg_extension where extname = 'pg_stat_statements'`.execute(db.kysely);
  if (ext.rows.length === 0) return { available: false, reason: 'pg_stat_statements is not installed in this database', hint: ENABLE_PG_STAT_STATEMENTS };
  try {
    const r = await sql<{ calls: bigint | string; total: number; mean: number; max: number; rows: bigint | string; query: string }>`
      select calls, total_exec_time as total, mean_exec_time as mean, max_exec_time as max, rows, query
      from pg_stat_statements
      where dbid = (select oid from pg_database where datname = current_database())
      order by mean_exec_time desc
      limit ${Math.max(1, Math.min(500, Math.floor(limit)))}`.execute(db.kysely);
    return {
      available: true,
      rows: r.rows.map((x) => ({ calls: Number(x.calls), totalMs: Number(x.total), meanMs: Number(x.mean), maxMs: Number(x.max), rows: Number(x.rows), query: oneLine(x.query) })),
    };
  } catch (e) {
    // Typically "pg_stat_statements must be loaded via shared_preload_libraries".
    return { available: false, reason: `pg_stat_statements is installed but cannot be read: ${(e as Error).message}`, hint: ENABLE_PG_STAT_STATEMENTS };
  }
}

export interface IndexUsage {
  table: string;
  index: string;
  scans: number;
  sizeBytes: number;
  /** Backs a primary key or unique constraint: needed even when never scanned. */
  enforcesConstraint: boolean;
  unused: boolean;
}

export async function indexUsage(db: Db): Promise<{ rows: IndexUsage[]; statsSince: Date | null }> {
  const r = await sql<{ table: string; index: string; scans: bigint | string; size: bigint | string; uniq: boolean }>`
    select s.relname as table, s.indexrelname as index, s.idx_scan as scans,
           pg_relation_size(s.indexrelid) as size, (i.indisunique or i.indisprimary or i.indisexclusion) as uniq
    from pg_stat_user_indexes s
    join pg_index i on i.indexrelid = s.indexrelid
    where s.relname not like 'finhub_migration%'
    order by s.idx_scan asc, pg_relation_size(s.indexrelid) desc, s.relname, s.indexrelname`.execute(db.kysely);
  const since = await sql<{ since: Date | null }>`
    select coalesce((select stats_reset from pg_stat_database where datname = current_database()), pg_postmaster_start_time()) as since`.execute(db.kysely);
  return {
    rows: r.rows.map((x) => {
      const scans = Number(x.scans ?? 0);
      return { table: x.table, index: x.index, scans, sizeBytes: Number(x.size), enforcesConstraint: x.uniq, unused: scans === 0 && !x.uniq };
    }),
    statsSince: since.rows[0]?.since ?? null,
  };
}

export interface Activity {
  pid: number;
  user: string | null;
  application: string | null;
  state: string | null;
  seconds: number;
  wait: string | null;
  query: string;
  /** Set by cancelLongRunning: pg_cancel_backend's answer. */
  cancelled?: boolean;
}

export const EMBEDDED_SINGLE_CONNECTION =
  'the embedded database (PGlite) runs one statement at a time on a single connection, so nothing can run alongside this command; slow requests show in finhub_http_request_duration_seconds and finhub_db_query_duration_seconds';

/**
 * Statements of this database active for longer than `olderThanSeconds`, never
 * this command's own backend; with `cancelOlderThanSeconds`, the ones older
 * than that are cancelled (pg_cancel_backend) in the same statement, so the
 * own-backend exclusion holds on the connection that cancels.
 */
export async function longRunning(db: Db, olderThanSeconds: number, cancelOlderThanSeconds?: number): Promise<Availability<Activity>> {
  if (db.engine === 'pglite') return { available: false, reason: EMBEDDED_SINGLE_CONNECTION, hint: 'nothing to do in embedded mode' };
  const cancelAfter = cancelOlderThanSeconds ?? -1;
  const r = await sql<{ pid: number; usename: string | null; application_name: string | null; state: string | null; seconds: number; wait: string | null; query: string; cancelled: boolean | null }>`
    select pid, usename, application_name, state,
           extract(epoch from now() - query_start)::float8 as seconds,
           nullif(concat_ws(':', wait_event_type, wait_event), '') as wait,
           query,
           case when ${cancelAfter}::float8 >= 0 and now() - query_start > make_interval(secs => ${cancelAfter}::float8)
                then pg_cancel_backend(pid) end as cancelled
    from pg_stat_activity
    where datname = current_database()
      and pid <> pg_backend_pid()
      and backend_type = 'client backend'
      and state is distinct from 'idle'
      and query_start is not null
      and now() - query_start > make_interval(secs => ${olderThanSeconds}::float8)
    order by query_start`.execute(db.kysely);
  return {
    available: true,
    rows: r.rows.map((x) => ({
      pid: Number(x.pid), user: x.usename, application: x.application_name, state: x.state, seconds: Number(x.seconds), wait: x.wait, query: oneLine(x.query),
      ...(x.cancelled === null ? {} : { cancelled: x.cancelled }),
    })),
  };
}
