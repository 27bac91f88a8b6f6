// The backup catalogue tables (migration 20261124200000_backups). Every write
// here is best-effort bookkeeping next to the files in the backup directory,
// which stay the source of truth.
import { sql } from 'kysely';
import type { Executor } from '../shared/executor.ts';
import type { BackupKind, Manifest } from './format.ts';
import type { VerifyReport } from './verify.ts';

export async function insertRunning(ex: Executor, row: { id: string; kind: BackupKind; note: string | null; installationId: string | null; startedAt: Date }): Promise<void> {
  await ex
    .insertInto('backups')
    .values({ id: row.id, kind: row.kind, note: row.note, installation_id: row.installationId, status: 'running', started_at: row.startedAt, updated_at: new Date() })
    .execute();
}

/** Records a finished backup from its manifest (insert or update: also used to rebuild the catalogue from a directory). */
export async function upsertFromManifest(ex: Executor, m: Manifest, opts: { location: string; verifiedLevel?: number; verifiedAt?: Date | null }): Promise<void> {
  const values = {
    id: m.id,
    installation_id: m.source.installation_id,
    kind: m.kind,
    status: 'succeeded' as const,
    note: m.note,
    snapshot_at: new Date(m.created_at),
    finished_at: new Date(new Date(m.created_at).getTime() + m.duration_seconds * 1000),
    duration_seconds: m.duration_seconds,
    size_bytes: m.archive.size,
    archive_sha256: m.archive.sha256,
    engine: m.engine,
    migration: m.migration,
    finhub_version: m.finhub_version,
    error: null,
    verified_level: opts.verifiedLevel ?? 0,
    verified_at: opts.verifiedAt ?? null,
    updated_at: new Date(),
  };
  await ex
    .insertInto('backups')
    .values({ ...values, started_at: values.snapshot_at })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        ...values,
        verified_level: sql<number>`greatest(backups.verified_level, excluded.verified_level)`,
        verified_at: sql<Date | null>`case when excluded.verified_level > backups.verified_level then excluded.verified_at else backups.verified_at end`,
      }),
    )
    .execute();
  await ex
    .insertInto('backup_copies')
    .values({ backup_id: m.id, location: opts.location, size_bytes: m.archive.size, sha256: m.archive.sha256 })
    .onConflict((oc) => oc.columns(['backup_id', 'location']).doUpdateSet({ size_bytes: m.archive.size, sha256: m.archive.sha256 }))
    .execute();
}

export async function markFailed(ex: Executor, id: string, error: string): Promise<void> {
  await ex.updateTable('backups').set({ status: 'failed', error: error.slice(0, 2000), finished_at: new Date(), updated_at: new Date() }).where('id', '=', id).execute();
}

export async function recordVerification(ex: Executor, r: VerifyReport, startedAt: Date): Promise<void> {
  const exists = await ex.selectFrom('backups').select('id').where('id', '=', r.id).executeTakeFirst();
  if (!exists) return;
  await ex
    .insertInto('backup_verifications')
    .values({
      backup_id: r.id,
      level_requested: r.levelRequested,
      level_reached: r.levelReached,
      ok: r.ok,
      started_at: startedAt,
      finished_at: new Date(),
      error: r.problems.length ? r.problems.join('\n').slice(0, 4000) : null,
      details: JSON.stringify({ steps: r.steps, seconds: r.seconds, scratch: r.scratch ?? null, restore_seconds: r.restore?.seconds ?? null }),
    })
    .execute();
  if (r.levelReached > 0) {
    await ex
      .updateTable('backups')
      .set({
        verified_level: sql<number>`greatest(verified_level, ${r.levelReached})`,
        verified_at: sql<Date>`case when ${r.levelReached} > verified_level then now() else coalesce(verified_at, now()) end`,
        updated_at: new Date(),
      })
      .where('id', '=', r.id)
      .execute();
  }
}

export async function startDrill(ex: Executor, backupId: string | null, startedAt: Date): Promise<string> {
  const row = await ex.insertInto('backup_drills').values({ backup_id: backupId, started_at: startedAt, status: 'running', details: '{}' }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function finishDrill(
  ex: Executor,
  id: string,
  r: { ok: boolean; restoreSeconds: number | null; rpoSeconds: number | null; levelReached: number; error: string | null; details: Record<string, unknown> },
): Promise<void> {
  await ex
    .updateTable('backup_drills')
    .set({
      status: r.ok ? 'succeeded' : 'failed',
      finished_at: new Date(),
      restore_seconds: r.restoreSeconds,
      rpo_seconds: r.rpoSeconds,
      level_reached: r.levelReached,
      error: r.error,
      details: JSON.stringify(r.details),
    })
    .where('id', '=', id)
    .execute();
}

export interface CatalogRow {
  id: string;
  kind: BackupKind;
  status: 'running' | 'succeeded' | 'failed';
  note: string | null;
  snapshot_at: Date | null;
  started_at: Date;
  size_bytes: bigint | null;
  verified_level: number;
  error: string | null;
  installation_id: string | null;
  locations: string[];
}

export async function listCatalog(ex: Executor): Promise<CatalogRow[]> {
  const rows = await ex
    .selectFrom('backups')
    .select(['id', 'kind', 'status', 'note', 'snapshot_at', 'started_at', 'size_bytes', 'verified_level', 'error', 'installation_id'])
    .select(sql<string | null>`(select string_agg(c.location, ',' order by c.location) from backup_copies c where c.backup_id = backups.id)`.as('locations'))
    .orderBy('started_at', 'desc')
    .execute();
  return rows.map((r) => ({ ...r, locations: r.locations ? r.locations.split(',') : [] }));
}

export async function deleteFromCatalog(ex: Executor, id: string): Promise<void> {
  await ex.deleteFrom('backups').where('id', '=', id).execute();
}

/** Runs and failures left by crashed processes, older than `before`. */
export async function deleteStale(ex: Executor, before: Date): Promise<number> {
  const r = await ex.deleteFrom('backups').where('status', 'in', ['running', 'failed']).where('started_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function currentInstallationId(ex: Executor): Promise<string | null> {
  const row = await ex.selectFrom('system_settings').select(sql<string>`value #>> '{}'`.as('v')).where('key', '=', 'installation_id').executeTakeFirst();
  return row?.v ?? null;
}
