// The backup use cases as the CLI and the job scheduler see them: create,
// list, verify, restore, drill, prune. Wires the archive code to the
// configuration (directory, keys, retention), the catalogue and the metrics.
// The lower layers (createBackup, verifyBackup, restoreInto, BackupStore) are
// reusable on their own, e.g. for offsite copies or engine moves.
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { createDb, type Db } from '../db/create-db.ts';
import { acquireDataDirLock, lockHolder, SOCKET_FILE } from '../db/data-dir-lock.ts';
import type { Metrics } from '../ops/metrics/metrics.ts';
import { AppError } from '../shared/app-error.ts';
import { appStartsOn } from './app-check.ts';
import { registerBackupMetrics, type BackupMetrics, type BackupOperation } from './backup.metrics.ts';
import * as catalog from './catalog.repository.ts';
import { createBackup, type CreatedBackup } from './create.ts';
import { isBackupId, newBackupId, type BackupKind, type Manifest } from './format.ts';
import { BackupConfigError, loadIdentities, requireRecipients } from './keys.ts';
import { planRetention, type RetentionPlan, type RetentionPolicy } from './prune.ts';
import { restoreInto, RestoreError, tablesWithData, type RestoreResult } from './restore.ts';
import { openScratch } from './scratch.ts';
import { getBackupStatus, type BackupStatus } from './status.ts';
import { LocalDirStore, type BackupStore, type StoredBackup, type VerificationRecord } from './store.ts';
import { verifyBackup, type VerifyLevel, type VerifyReport } from './verify.ts';

export interface BackupServiceDeps {
  config: Config;
  db: Db;
  logger: Logger;
  metrics: Metrics;
  version: string;
}

type Progress = (line: string) => void;

export interface BackupListing {
  id: string;
  /** Snapshot time (what the data reflects). */
  at: Date | null;
  kind: BackupKind | null;
  note: string | null;
  sizeBytes: number | null;
  /** Highest verification level ever passed (0 = never verified). */
  verifiedLevel: number;
  /** 'local' and/or offsite target names holding a copy. */
  locations: string[];
  status: 'ok' | 'running' | 'failed' | 'damaged' | 'missing';
  detail: string | null;
  engine: string | null;
  migration: string | null;
  installationId: string | null;
  /** Made from this database (same installation id). */
  ours: boolean;
}

export type RestoreTarget = { kind: 'configured' } | { kind: 'postgres'; url: string } | { kind: 'embedded'; dataDir: string };

export interface RestoreOutcome extends RestoreResult {
  target: string;
  safetyBackup: { id: string; path: string } | null;
  catalogueRebuilt: number | null;
}

export interface DrillResult {
  backupId: string;
  report: VerifyReport;
  restoreSeconds: number | null;
  rpoSeconds: number | null;
}

export interface PruneResult {
  plan: RetentionPlan;
  removed: string[];
  /** Backups of other installations (left alone). */
  skipped: string[];
  damaged: string[];
  cleaned: string[];
  dryRun: boolean;
  /** Filled by the offsite hook (src/backup/offsite/): the same policy applied on each offsite target. */
  offsite?: { target: string; keep: string[]; remove: string[]; removed: string[]; error?: string }[];
}

/** Extension points, e.g. offsite copies (src/backup/offsite/). A hook's error is logged; it never fails the operation. */
export interface BackupHooks {
  afterCreate: ((b: CreatedBackup, onProgress?: (line: string) => void) => Promise<void>)[];
  afterPrune: ((r: PruneResult, opts: { dryRun?: boolean; now?: Date }) => Promise<void>)[];
}

/** Hides the password of a connection string for messages. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the given database URL';
  }
}

function sameDatabase(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.hostname === y.hostname && (x.port || '5432') === (y.port || '5432') && x.pathname === y.pathname;
  } catch {
    return false;
  }
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolveAnswer(true);
    });
    s.once('error', () => resolveAnswer(false));
  });
}

export function backupDir(config: Pick<Config, 'backupDir' | 'dataDir'>): string {
  return config.backupDir ?? join(config.dataDir, 'backups');
}

export function retentionPolicy(config: Config): RetentionPolicy {
  return { keepAllDays: config.backupKeepAllDays, keepDailyDays: config.backupKeepDailyDays, keepWeeklyWeeks: config.backupKeepWeeklyWeeks, keepMonthlyMonths: config.backupKeepMonthlyMonths };
}

/**
 * One listing from what a store holds and what the catalogue remembers. The
 * files decide (they survive losing the database); the catalogue adds runs
 * that failed or are in progress, offsite copies and verification levels.
 */
export function mergeListing(stored: StoredBackup[], rows: catalog.CatalogRow[], ours: string | null, storeLocation: string, localLocation = 'local'): BackupListing[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: BackupListing[] = [];
  for (const s of stored) {
    const c = byId.get(s.id);
    byId.delete(s.id);
    const m = s.manifest;
    let status: BackupListing['status'] = 'ok';
    let detail: string | null = null;
    if (!m) {
      status = 'damaged';
      detail = s.manifestError ?? 'unreadable manifest';
    } else if (s.archiveSize === undefined) {
      status = 'missing';
      detail = 'the archive file is missing';
    } else if (s.archiveSize !== m.archive.size) {
      status = 'damaged';
      detail = `the archive is ${s.archiveSize} bytes, the manifest records ${m.archive.size}`;
    }
    const inst = m?.source.installation_id ?? c?.installation_id ?? null;
    const locations = new Set(c?.locations ?? []);
    if (s.archiveSize !== undefined) locations.add(storeLocation);
    else locations.delete(storeLocation);
    out.push({
      id: s.id,
      at: m ? new Date(m.created_at) : (c?.snapshot_at ?? null),
      kind: m?.kind ?? c?.kind ?? null,
      note: m?.note ?? c?.note ?? null,
      sizeBytes: m?.archive.size ?? (c?.size_bytes != null ? Number(c.size_bytes) : null),
      verifiedLevel: Math.max(s.verification?.best_level ?? 0, c?.verified_level ?? 0),
      locations: [...locations].sort((a, b) => (a === localLocation ? -1 : b === localLocation ? 1 : a < b ? -1 : 1)),
      status,
      detail,
      engine: m?.engine ?? null,
      migration: m?.migration ?? null,
      installationId: inst,
      ours: inst === ours,
    });
  }
  // Catalogue entries without files here: running, failed, or only offsite.
  for (const c of byId.values()) {
    const elsewhere = c.locations.filter((l) => l !== storeLocation);
    out.push({
      id: c.id,
      at: c.snapshot_at ?? c.started_at,
      kind: c.kind,
      note: c.note,
      sizeBytes: c.size_bytes != null ? Number(c.size_bytes) : null,
      verifiedLevel: c.verified_level,
      locations: elsewhere,
      status: c.status === 'succeeded' ? 'missing' : c.status,
      detail: c.status === 'failed' ? c.error : c.status === 'succeeded' ? (elsewhere.length ? `not in ${storeLocation}` : 'its files are gone') : null,
      engine: null,
      migration: null,
      installationId: c.installation_id,
      ours: c.installation_id === ours,
    });
  }
  return out.sort((a, b) => (b.at?.getTime() ?? 0) - (a.at?.getTime() ?? 0) || (a.id < b.id ? 1 : -1));
}

export function createBackupService(deps: BackupServiceDeps) {
  const { config, db, logger } = deps;
  const store = new LocalDirStore(backupDir(config));
  const metrics: BackupMetrics = registerBackupMetrics(deps.metrics.registry, () => getBackupStatus(db));
  const k = db.kysely;

  const counted = async <T>(op: BackupOperation, fn: () => Promise<T>, ok: (r: T) => boolean = () => true): Promise<T> => {
    try {
      const r = await fn();
      metrics.operations.inc({ operation: op, outcome: ok(r) ? 'success' : 'failure' });
      return r;
    } catch (e) {
      metrics.operations.inc({ operation: op, outcome: 'failure' });
      throw e;
    } finally {
      metrics.invalidate();
    }
  };
  /** Catalogue writes must never turn a good backup into a failed command. */
  const bookkeeping = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      logger.warn({ err: e }, `backup catalogue: could not record ${what}`);
    }
  };
  const installation = () => catalog.currentInstallationId(k).catch(() => null);

  async function findStored(id: string, from: BackupStore): Promise<StoredBackup> {
    if (!isBackupId(id)) throw new AppError('VALIDATION_FAILED', `"${id}" is not a backup id (like 20261124T101500Z-1a2b3c); see finhub backup list`);
    const b = await from.get(id);
    if (!b) throw new AppError('NOT_FOUND', `backup ${id} not found in ${from.describe()}`);
    return b;
  }

  async function bestLevels(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    try {
      for (const r of await catalog.listCatalog(k)) out.set(r.id, r.verified_level);
    } catch {
      // No catalogue (not migrated, or lost): the files alone decide.
    }
    return out;
  }

  const hooks: BackupHooks = { afterCreate: [], afterPrune: [] };
  const runHooks = async (what: string, calls: (() => Promise<void>)[]) => {
    for (const call of calls) await call().catch((e: unknown) => logger.error({ err: e }, `backup ${what} hook failed`));
  };

  const service = {
    store,
    metrics,
    hooks,
    dir: store.dir,

    status: (): Promise<BackupStatus> => getBackupStatus(db),

    async create(opts: { kind?: BackupKind; note?: string | null; onProgress?: Progress } = {}): Promise<CreatedBackup & { path: string; cleaned: string[] }> {
      return counted('create', async () => {
        if (opts.note && opts.note.length > 500) throw new AppError('VALIDATION_FAILED', '--note must be at most 500 characters');
        const recipients = await requireRecipients(config);
        const cleaned = await store.cleanup().catch(() => []);
        for (const c of cleaned) opts.onProgress?.(`removed ${c} (left by an interrupted backup)`);
        const id = newBackupId();
        const kind = opts.kind ?? 'manual';
        const inst = await installation();
        await bookkeeping('the start of a backup', () => catalog.insertRunning(k, { id, kind, note: opts.note ?? null, installationId: inst, startedAt: new Date() }));
        try {
          const created = await createBackup({
            db,
            store,
            recipients,
            finhubVersion: deps.version,
            kind,
            note: opts.note ?? null,
            id,
            sourceLabel: db.engine === 'pglite' ? (db.dataDir ?? 'embedded (in memory)') : undefined,
            onProgress: opts.onProgress,
          });
          await bookkeeping('a finished backup', () => catalog.upsertFromManifest(k, created.manifest, { location: store.location }));
          logger.info({ backup: id, kind, bytes: created.size, seconds: created.seconds }, 'backup created');
          await runHooks('after-create', hooks.afterCreate.map((h) => () => h(created, opts.onProgress)));
          return { ...created, path: store.archivePath(id), cleaned };
        } catch (e) {
          await bookkeeping('a failed backup', () => catalog.markFailed(k, id, (e as Error).message));
          logger.error({ backup: id, err: e }, 'backup failed');
          throw e;
        }
      });
    },

    async list(opts: { store?: BackupStore } = {}): Promise<BackupListing[]> {
      const from = opts.store ?? store;
      const rows = from === store ? await catalog.listCatalog(k).catch(() => []) : [];
      return mergeListing(await from.list(), rows, await installation(), from.location, store.location);
    },

    /** Newest intact backup of this database (falling back to any installation's when it has none). */
    async latestId(opts: { store?: BackupStore } = {}): Promise<string | undefined> {
      const list = (await service.list(opts)).filter((b) => b.status === 'ok');
      return (list.find((b) => b.ours) ?? list[0])?.id;
    },

    async verify(id: string, level: VerifyLevel, opts: { identityFile?: string; store?: BackupStore; onProgress?: Progress } = {}): Promise<VerifyReport> {
      return counted(
        'verify',
        async () => {
          const from = opts.store ?? store;
          await findStored(id, from);
          let identities: string[] = [];
          let identityRecipients: string[] = [];
          if (level >= 2) {
            const loaded = await loadIdentities(opts.identityFile ?? config.backupIdentityFile);
            if (loaded.warning) opts.onProgress?.(loaded.warning);
            identities = loaded.identities;
            identityRecipients = loaded.recipients;
          }
          const startedAt = new Date();
          const report = await verifyBackup(from, id, {
            level,
            identities,
            identityRecipients,
            openScratch: () => openScratch({ databaseUrl: config.databaseUrl, onNote: opts.onProgress }),
            appCheck: appStartsOn,
            onProgress: opts.onProgress,
          });
          const previous = await from.readVerification(id);
          const better = report.levelReached > (previous?.best_level ?? 0);
          const record: VerificationRecord = {
            backup_id: id,
            level_requested: level,
            level_reached: report.levelReached,
            ok: report.ok,
            at: new Date().toISOString(),
            problems: report.problems,
            best_level: better ? report.levelReached : (previous?.best_level ?? 0),
            best_at: better ? new Date().toISOString() : (previous?.best_at ?? null),
          };
          await from.writeVerification(id, record).catch((e: unknown) => logger.warn({ err: e }, 'could not write the verification record'));
          if (from === store) {
            await bookkeeping('a verification', async () => {
              if (report.manifest) await catalog.upsertFromManifest(k, report.manifest, { location: store.location, verifiedLevel: record.best_level, verifiedAt: record.best_at ? new Date(record.best_at) : null });
              await catalog.recordVerification(k, report, startedAt);
            });
          }
          logger.info({ backup: id, level, reached: report.levelReached, ok: report.ok, problems: report.problems }, 'backup verified');
          return report;
        },
        (r) => r.ok,
      );
    },

    async restore(id: string, target: RestoreTarget, opts: { force?: boolean; identityFile?: string; store?: BackupStore; onProgress?: Progress } = {}): Promise<RestoreOutcome> {
      return counted('restore', async () => {
        const from = opts.store ?? store;
        const progress = opts.onProgress ?? (() => {});
        const stored = await findStored(id, from);
        if (!stored.manifest) throw new AppError('UNPROCESSABLE', `backup ${id} cannot be restored: ${stored.manifestError}`);
        const manifest: Manifest = stored.manifest;
        const loaded = await loadIdentities(opts.identityFile ?? config.backupIdentityFile);
        if (loaded.warning) progress(loaded.warning);

        // ---- open the target ----
        let targetDb: Db;
        let label: string;
        let closeTarget = async () => {};
        const configuredEmbedded = !config.databaseUrl;
        const isConfigured =
          target.kind === 'configured' ||
          (target.kind === 'embedded' && configuredEmbedded && resolve(target.dataDir) === resolve(config.dataDir)) ||
          (target.kind === 'postgres' && !!config.databaseUrl && sameDatabase(target.url, config.databaseUrl));
        if (isConfigured) {
          if (configuredEmbedded && lockHolder(config.dataDir) === process.pid && (await socketAnswers(join(config.dataDir, SOCKET_FILE)))) {
            throw new AppError(
              'CONFLICT',
              `refusing to restore into ${config.dataDir} while this finhub server is using it. Either stop finhub and run the restore again, ` +
                `or restore into a new directory (finhub backup restore ${id} --data-dir NEW_DIR), then stop finhub and start it with FINHUB_DATA_DIR=NEW_DIR ` +
                '(with maintenance mode on meanwhile: finhub maintenance on --message "…")',
            );
          }
          targetDb = db;
          label = config.databaseUrl ? `the configured PostgreSQL database (${maskUrl(config.databaseUrl)})` : `the embedded database in ${config.dataDir}`;
        } else if (target.kind === 'postgres') {
          targetDb = await createDb({ databaseUrl: target.url, poolSize: 2, applicationName: 'finhub-restore' });
          label = `PostgreSQL ${maskUrl(target.url)}`;
          closeTarget = () => targetDb.close();
        } else {
          const dir = resolve(target.dataDir);
          const lock = acquireDataDirLock(dir);
          try {
            targetDb = await createDb({ dataDir: dir });
          } catch (e) {
            lock.release();
            throw e;
          }
          label = `the embedded database in ${dir}`;
          closeTarget = async () => {
            await targetDb.close();
            lock.release();
          };
        }

        try {
          // ---- refuse, or take a safety backup first ----
          const hasData = await tablesWithData(targetDb.kysely);
          let safety: RestoreOutcome['safetyBackup'] = null;
          if (hasData.length > 0) {
            if (!opts.force) {
              throw new AppError('CONFLICT', `${label} is not empty (${hasData.slice(0, 6).join(', ')}${hasData.length > 6 ? ', …' : ''} hold data); nothing was changed. Add --force to replace it; a safety backup of it is taken first.`);
            }
            const recipients = await requireRecipients(config).catch((e: unknown) => {
              throw new BackupConfigError(`a safety backup of ${label} must be taken before it is replaced, but ${(e as Error).message}`);
            });
            progress(`taking a safety backup of ${label} first`);
            const safetyId = newBackupId();
            const made = await createBackup({
              db: targetDb,
              store,
              recipients,
              finhubVersion: deps.version,
              kind: 'safety',
              note: `safety copy taken before restoring ${id}`,
              id: safetyId,
              sourceLabel: targetDb.engine === 'pglite' ? (targetDb.dataDir ?? 'embedded') : undefined,
            });
            safety = { id: made.id, path: store.archivePath(made.id) };
            await bookkeeping('the safety backup', () => catalog.upsertFromManifest(k, made.manifest, { location: store.location }));
            progress(`safety backup ${made.id} written to ${safety.path}`);
          }

          // ---- restore ----
          progress(`restoring backup ${id} (${manifest.created_at}, ${manifest.engine}, schema ${manifest.migration}) into ${label}`);
          let result: RestoreResult;
          try {
            result = await restoreInto(targetDb, { store: from, id, manifest }, { identities: loaded.identities, replace: true, migrateToLatest: true, onProgress: progress });
          } catch (e) {
            const untouched = `${label} was NOT changed (the restore transaction was rolled back)${safety ? `; the safety backup ${safety.id} is in ${store.dir}` : ''}`;
            throw new RestoreError(`restore failed: ${(e as Error).message}. ${untouched}.`, e instanceof RestoreError ? e.reason : 'failed', { cause: e });
          }
          let rebuilt: number | null = null;
          if (targetDb === db) rebuilt = await service.syncCatalogue();
          logger.info({ backup: id, target: label, rows: result.rows, seconds: result.seconds.total }, 'backup restored');
          return { ...result, target: label, safetyBackup: safety, catalogueRebuilt: rebuilt };
        } finally {
          await closeTarget();
        }
      });
    },

    /** Rebuilds catalogue rows from the manifests and verification records in the local directory. */
    async syncCatalogue(): Promise<number> {
      let n = 0;
      for (const s of await store.list()) {
        if (!s.manifest || s.archiveSize === undefined) continue;
        const v = s.verification;
        await catalog.upsertFromManifest(k, s.manifest, { location: store.location, verifiedLevel: v?.best_level ?? 0, verifiedAt: v?.best_at ? new Date(v.best_at) : null });
        n++;
      }
      metrics.invalidate();
      return n;
    },

    async drill(opts: { identityFile?: string; onProgress?: Progress } = {}): Promise<DrillResult> {
      return counted(
        'drill',
        async () => {
          const id = await service.latestId();
          if (!id) throw new AppError('NOT_FOUND', `there is no intact backup in ${store.dir} to drill with; run finhub backup create first`);
          const startedAt = new Date();
          let drillId: string | undefined;
          await bookkeeping('the start of a drill', async () => {
            drillId = await catalog.startDrill(k, id, startedAt);
          });
          let report: VerifyReport;
          try {
            report = await service.verify(id, 4, { identityFile: opts.identityFile, onProgress: opts.onProgress });
          } catch (e) {
            if (drillId) {
              const d = drillId;
              await bookkeeping('a failed drill', () => catalog.finishDrill(k, d, { ok: false, restoreSeconds: null, rpoSeconds: null, levelReached: 0, error: (e as Error).message, details: {} }));
            }
            throw e;
          }
          const status = await getBackupStatus(db).catch(() => undefined);
          const rpoSeconds = status?.lastVerifiedAt ? (Date.now() - status.lastVerifiedAt.getTime()) / 1000 : null;
          const restoreSeconds = report.restore?.seconds.restore ?? null;
          if (drillId) {
            const d = drillId;
            await bookkeeping('a drill', () =>
              catalog.finishDrill(k, d, {
                ok: report.ok,
                restoreSeconds,
                rpoSeconds,
                levelReached: report.levelReached,
                error: report.problems.length ? report.problems.join('\n') : null,
                details: { steps: report.steps, scratch: report.scratch ?? null, rows: report.restore?.rows ?? null, seconds: report.restore?.seconds ?? null },
              }),
            );
          }
          logger.info({ backup: id, ok: report.ok, restoreSeconds, rpoSeconds }, 'restore drill finished');
          return { backupId: id, report, restoreSeconds, rpoSeconds };
        },
        (r) => r.report.ok,
      );
    },

    async prune(opts: { dryRun?: boolean; now?: Date } = {}): Promise<PruneResult> {
      return counted('prune', async () => {
        const now = opts.now ?? new Date();
        const ours = await installation();
        const levels = await bestLevels();
        const stored = await store.list();
        const skipped: string[] = [];
        const damaged: string[] = [];
        const candidates = [];
        for (const s of stored) {
          if (!s.manifest) {
            damaged.push(s.id);
            continue;
          }
          if (s.manifest.source.installation_id !== ours) {
            skipped.push(s.id);
            continue;
          }
          candidates.push({ id: s.id, at: new Date(s.manifest.created_at), verifiedLevel: Math.max(levels.get(s.id) ?? 0, s.verification?.best_level ?? 0) });
        }
        const plan = planRetention(candidates, now, retentionPolicy(config));
        const removed: string[] = [];
        let cleaned: string[] = [];
        if (!opts.dryRun) {
          for (const r of plan.remove) {
            await store.delete(r.id);
            await bookkeeping('a pruned backup', () => catalog.deleteFromCatalog(k, r.id));
            removed.push(r.id);
          }
          cleaned = await store.cleanup();
          await bookkeeping('stale runs', () => catalog.deleteStale(k, new Date(now.getTime() - 7 * 86_400_000)));
          if (removed.length) logger.info({ removed }, 'backups pruned');
        }
        const result: PruneResult = { plan, removed, skipped, damaged, cleaned, dryRun: !!opts.dryRun };
        await runHooks('after-prune', hooks.afterPrune.map((h) => () => h(result, opts)));
        return result;
      });
    },
  };
  return service;
}

export type BackupService = ReturnType<typeof createBackupService>;
