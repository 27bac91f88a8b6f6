// Offsite copies: push backups from the backup directory to the configured
// targets (a directory, an S3-compatible bucket), pull them back, and apply
// the retention policy on each target. `c.offsite` on the container.
//
// What goes offsite: after every `backup create` (CLI, schedule, before
// migrations) the new backup is pushed to every target, followed by any backup
// the retention policy keeps that is newer than the target's newest copy (so a
// target that was unreachable for a while catches up by itself). Older
// history is copied only on request: `finhub backup push --all`.
//
// A copy is checked where it lands (see dir.store.ts and s3.store.ts); a
// pull is hashed while it streams in and only becomes visible locally when
// its size, SHA-256 and 256 KiB block hashes match the manifest.
import type { Logger } from 'pino';
import type { Config } from '../../config/config.ts';
import type { Db } from '../../db/create-db.ts';
import type { Metrics } from '../../ops/metrics/metrics.ts';
import { AppError } from '../../shared/app-error.ts';
import { BlockHasher } from '../archive.ts';
import { retentionPolicy, type BackupService } from '../backup.service.ts';
import * as catalog from '../catalog.repository.ts';
import { isBackupId, parseManifest, partsAt, type Manifest } from '../format.ts';
import { BackupConfigError } from '../keys.ts';
import { planRetention, type RetentionPlan } from '../prune.ts';
import type { BackupStore, StoredBackup } from '../store.ts';
import { deleteCopy, lastAttemptPerLocation, newestCopyPerLocation, recordAttempt, type OffsiteAttempt } from './copies.repository.ts';
import { DirTargetStore } from './dir.store.ts';
import { OffsiteCopyError } from './errors.ts';
import { registerOffsiteMetrics, type OffsiteMetrics } from './offsite.metrics.ts';
import { S3Store } from './s3.store.ts';
import { buildTargets } from './targets.ts';

type Progress = (line: string) => void;

export interface OffsiteServiceDeps {
  config: Config;
  db: Db;
  logger: Logger;
  metrics: Metrics;
  backups: BackupService;
  /** Use these targets instead of the configured ones (tests). */
  targets?: BackupStore[];
}

export interface CopyResult {
  id: string;
  target: string;
  outcome: 'copied' | 'present' | 'failed';
  bytes: number;
  seconds: number;
  error?: string;
}

export interface RemotePruneResult {
  target: string;
  plan: RetentionPlan;
  removed: string[];
  /** Backups of other installations (left alone). */
  skipped: string[];
  damaged: string[];
  cleaned: string[];
  error?: string;
}

/** One offsite target as health checks and `finhub doctor` show it. */
export interface OffsiteTargetStatus {
  name: string;
  kind: 'directory' | 's3' | 'other';
  /** The directory, or s3://bucket/prefix (and endpoint). */
  where: string;
  /** Snapshot time of the newest backup copied there: what finhub_backup_offsite_last_success_timestamp_seconds reports. */
  newestCopyAt: Date | null;
  /** The latest push to it, from any process (null: none recorded yet). */
  lastAttempt: OffsiteAttempt | null;
}

export interface OffsiteStatus {
  /** A half-configured target (the message names the setting); the other targets are still listed. */
  configError?: string;
  targets: OffsiteTargetStatus[];
}

const kindOf = (t: BackupStore): OffsiteTargetStatus['kind'] => (t instanceof DirTargetStore ? 'directory' : t instanceof S3Store ? 's3' : 'other');

const intact = (s: StoredBackup | undefined): s is StoredBackup & { manifest: Manifest } => !!s?.manifest && s.archiveSize === s.manifest.archive.size;

/** Size, SHA-256 and block hashes of received bytes against the manifest; one line per problem, naming the damaged parts. */
export function compareWithManifest(m: Manifest, got: { size: number; sha256: string; blocks: string[] }): string[] {
  const problems: string[] = [];
  if (got.size !== m.archive.size) {
    problems.push(got.size < m.archive.size ? `the archive is truncated: ${got.size} of ${m.archive.size} bytes (${partsAt(m.archive, got.size, m.archive.size).join(', ') || 'its end'} missing)` : `the archive is ${got.size - m.archive.size} bytes longer than its manifest records`);
  }
  if (got.sha256 !== m.archive.sha256) {
    const bad: string[] = [];
    for (let i = 0; i < Math.min(got.blocks.length, m.archive.block_sha256.length); i++) {
      if (got.blocks[i] === m.archive.block_sha256[i]) continue;
      const start = i * m.archive.block_size;
      const end = Math.min(start + m.archive.block_size, got.size, m.archive.size);
      if (end <= start) continue;
      bad.push(`bytes ${start}-${end - 1} (${partsAt(m.archive, start, end).join(', ') || 'unmapped'})`);
    }
    problems.push(`the archive's SHA-256 does not match its manifest${bad.length ? `; damaged: ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? `; and ${bad.length - 5} more` : ''}` : ''}`);
  }
  return problems;
}

export function createOffsiteService(deps: OffsiteServiceDeps) {
  const { config, db, logger, backups } = deps;
  const k = db.kysely;
  let configError: BackupConfigError | undefined;
  let targets: BackupStore[] = [];
  try {
    targets = deps.targets ?? buildTargets(config);
  } catch (e) {
    // A half-configured target must not stop the server; every offsite command reports it.
    if (!(e instanceof BackupConfigError)) throw e;
    configError = e;
  }
  const names = targets.map((t) => t.location);
  const metrics: OffsiteMetrics = registerOffsiteMetrics(deps.metrics.registry, names, () => newestCopyPerLocation(k, names));
  const local = () => backups.store;

  const bookkeeping = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      logger.warn({ err: e }, `backup catalogue: could not record ${what}`);
    }
  };
  /** A push to a target ended: the copy counter (copies made and failures) and the target's last-attempt row, from the same event. */
  const pushed = async (to: BackupStore, outcome: 'copied' | 'present' | 'failed', backupId: string | null, error?: string) => {
    if (outcome !== 'present') metrics.copies.inc({ target: to.location, direction: 'push', outcome: outcome === 'copied' ? 'success' : 'failure' });
    await bookkeeping('an offsite copy attempt', () =>
      recordAttempt(k, to.location, { at: new Date(), outcome: outcome === 'failed' ? 'failure' : 'success', backupId, error: error ?? null }),
    );
  };
  const installation = () => catalog.currentInstallationId(k).catch(() => null);
  const catalogueLevels = async (): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    try {
      for (const r of await catalog.listCatalog(k)) out.set(r.id, r.verified_level);
    } catch {
      // No catalogue: the stores' verification records alone decide.
    }
    return out;
  };

  function target(name: string): BackupStore {
    if (configError) throw configError;
    const t = targets.find((x) => x.location === name);
    if (t) return t;
    if (targets.length === 0) throw new AppError('NOT_FOUND', `no offsite target is configured (set FINHUB_BACKUP_OFFSITE_DIR and/or FINHUB_BACKUP_S3_BUCKET; see docs/backup.md)`);
    throw new AppError('NOT_FOUND', `there is no offsite target "${name}"; configured: ${names.join(', ')}`);
  }
  const pick = (to?: readonly string[]): BackupStore[] => {
    if (configError) throw configError;
    return to?.length ? to.map(target) : targets;
  };

  async function pushOne(id: string, to: BackupStore, opts: { force?: boolean; onProgress?: Progress } = {}): Promise<CopyResult> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const src = await local().get(id);
    if (!src) throw new AppError('NOT_FOUND', `backup ${id} is not in ${local().describe()}`);
    if (!src.manifest) throw new AppError('UNPROCESSABLE', `backup ${id} cannot be copied: ${src.manifestError}`);
    const m = src.manifest;
    if (src.archiveSize !== m.archive.size) throw new AppError('UNPROCESSABLE', `backup ${id} cannot be copied: its archive in ${local().describe()} is ${src.archiveSize === undefined ? 'missing' : `${src.archiveSize} bytes, the manifest records ${m.archive.size}`}`);
    try {
      const there = await to.get(id);
      if (!opts.force && intact(there) && there.manifest.manifest_sha256 === m.manifest_sha256) {
        await bookkeeping('an offsite copy', () => catalog.upsertFromManifest(k, m, { location: to.location }));
        await pushed(to, 'present', id);
        return { id, target: to.location, outcome: 'present', bytes: 0, seconds: seconds() };
      }
      if (there) await to.delete(id);
      const text = (await local().readManifestText(id))!;
      opts.onProgress?.(`copying ${id} (${m.archive.size} bytes) to ${to.location} (${to.describe()})`);
      const { size } = await to.put(id, local().openArchive(id), () => text);
      if (src.verification) await to.writeVerification(id, src.verification).catch((e: unknown) => logger.warn({ err: e, target: to.location }, 'could not copy the verification record'));
      await bookkeeping('an offsite copy', () => catalog.upsertFromManifest(k, m, { location: to.location, verifiedLevel: src.verification?.best_level ?? 0, verifiedAt: src.verification?.best_at ? new Date(src.verification.best_at) : null }));
      await pushed(to, 'copied', id);
      metrics.invalidate();
      logger.info({ backup: id, target: to.location, bytes: size, seconds: seconds() }, 'backup copied offsite');
      return { id, target: to.location, outcome: 'copied', bytes: size, seconds: seconds() };
    } catch (e) {
      await pushed(to, 'failed', id, (e as Error).message);
      logger.error({ backup: id, target: to.location, err: e }, 'offsite copy failed');
      return { id, target: to.location, outcome: 'failed', bytes: 0, seconds: seconds(), error: (e as Error).message };
    }
  }

  /** Our intact local backups that the retention policy keeps, newest first. */
  async function keptLocal(now: Date): Promise<{ id: string; at: Date }[]> {
    const listing = (await backups.list()).filter((b) => b.ours && b.status === 'ok' && b.locations.includes(local().location) && b.at);
    const plan = planRetention(listing.map((b) => ({ id: b.id, at: b.at!, verifiedLevel: b.verifiedLevel })), now, retentionPolicy(config));
    return plan.keep.map((x) => ({ id: x.id, at: x.at }));
  }

  const service = {
    metrics,
    names,
    configError,
    target,
    targets: () => pick(),

    /**
     * Every configured target with its newest copy (the catalogue, as the
     * metrics read it) and its latest push attempt (from any process). Reads
     * the database only, never the targets.
     */
    async status(): Promise<OffsiteStatus> {
      const [newest, attempts] = await Promise.all([newestCopyPerLocation(k, names), lastAttemptPerLocation(k, names)]);
      return {
        ...(configError ? { configError: configError.message } : {}),
        targets: targets.map((t) => ({ name: t.location, kind: kindOf(t), where: t.describe(), newestCopyAt: newest.get(t.location) ?? null, lastAttempt: attempts.get(t.location) ?? null })),
      };
    },

    /** Copies one backup to the given targets (default: all). Never throws for a failed copy: see each result. */
    async push(id: string, opts: { to?: string[]; force?: boolean; onProgress?: Progress } = {}): Promise<CopyResult[]> {
      if (!isBackupId(id)) throw new AppError('VALIDATION_FAILED', `"${id}" is not a backup id (like 20261124T101500Z-1a2b3c); see finhub backup list`);
      const out: CopyResult[] = [];
      for (const t of pick(opts.to)) out.push(await pushOne(id, t, opts));
      return out;
    },

    /**
     * Brings targets up to date. mode 'all': every backup the retention policy
     * keeps and the target lacks. mode 'new': only what is newer than the
     * target's newest copy of this installation (after each backup).
     */
    async sync(opts: { to?: string[]; mode?: 'all' | 'new'; force?: boolean; now?: Date; onProgress?: Progress } = {}): Promise<CopyResult[]> {
      const kept = await keptLocal(opts.now ?? new Date());
      const ours = await installation();
      const out: CopyResult[] = [];
      for (const t of pick(opts.to)) {
        let remote: StoredBackup[];
        try {
          remote = await t.list();
        } catch (e) {
          out.push({ id: kept[0]?.id ?? '-', target: t.location, outcome: 'failed', bytes: 0, seconds: 0, error: (e as Error).message });
          await pushed(t, 'failed', kept[0]?.id ?? null, (e as Error).message);
          logger.error({ target: t.location, err: e }, 'offsite copy failed: the target could not be listed');
          continue;
        }
        const have = new Set(remote.filter(intact).map((r) => r.id));
        const newestThere = remote.filter(intact).filter((r) => r.manifest.source.installation_id === ours).reduce((a, r) => Math.max(a, Date.parse(r.manifest.created_at)), -Infinity);
        for (const b of kept) {
          if (have.has(b.id) && !opts.force) continue;
          if (opts.mode === 'new' && b.at.getTime() <= newestThere && b !== kept[0]) continue;
          out.push(await pushOne(b.id, t, { force: opts.force, onProgress: opts.onProgress }));
          // A target that has none of ours yet gets the newest backup only; history goes with `push --all`.
          if (opts.mode === 'new' && newestThere === -Infinity) break;
        }
      }
      return out;
    },

    /** Downloads a backup from a target into the backup directory, checked against its manifest before it becomes visible. */
    async pull(id: string, from: string, opts: { force?: boolean; onProgress?: Progress } = {}): Promise<CopyResult & { path: string }> {
      if (!isBackupId(id)) throw new AppError('VALIDATION_FAILED', `"${id}" is not a backup id (like 20261124T101500Z-1a2b3c); see finhub backup list --remote ${from}`);
      const src = target(from);
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      const path = local().archivePath(id);
      const there = await src.get(id);
      if (!there) throw new AppError('NOT_FOUND', `backup ${id} is not in offsite target ${from} (${src.describe()})`);
      if (!there.manifest) throw new AppError('UNPROCESSABLE', `backup ${id} in ${from} cannot be used: ${there.manifestError}`);
      const m = there.manifest;
      const here = await local().get(id);
      if (!opts.force && intact(here) && here.manifest.manifest_sha256 === m.manifest_sha256) return { id, target: from, outcome: 'present', bytes: 0, seconds: seconds(), path };
      const text = (await src.readManifestText(id))!;
      opts.onProgress?.(`downloading ${id} (${m.archive.size} bytes) from ${from} (${src.describe()})`);
      const hasher = new BlockHasher(m.archive.block_size);
      async function* hashed(): AsyncGenerator<Buffer> {
        for await (const chunk of src.openArchive(id)) {
          hasher.update(chunk);
          yield chunk;
        }
      }
      try {
        const { size } = await local().put(id, hashed(), () => {
          const problems = compareWithManifest(m, hasher.finish());
          // Throwing here, before the manifest is written, leaves nothing visible locally.
          if (problems.length) throw new OffsiteCopyError(`the copy of ${id} in offsite target ${from} is damaged: ${problems.join('; ')}. Nothing was written to ${local().describe()}.`);
          return text;
        });
        const v = there.verification;
        if (v) await local().writeVerification(id, v).catch(() => {});
        await bookkeeping('a pulled backup', async () => {
          await catalog.upsertFromManifest(k, parseManifest(text), { location: local().location, verifiedLevel: v?.best_level ?? 0, verifiedAt: v?.best_at ? new Date(v.best_at) : null });
          await catalog.upsertFromManifest(k, m, { location: from });
        });
        metrics.copies.inc({ target: from, direction: 'pull', outcome: 'success' });
        backups.metrics.invalidate();
        logger.info({ backup: id, target: from, bytes: size }, 'backup copied from offsite');
        return { id, target: from, outcome: 'copied', bytes: size, seconds: seconds(), path };
      } catch (e) {
        metrics.copies.inc({ target: from, direction: 'pull', outcome: 'failure' });
        throw e;
      }
    },

    /** The retention policy of the backup directory, applied on every target (never deleting the newest verified backup). */
    async prune(opts: { dryRun?: boolean; now?: Date; to?: string[] } = {}): Promise<RemotePruneResult[]> {
      const now = opts.now ?? new Date();
      const ours = await installation();
      const levels = await catalogueLevels();
      const out: RemotePruneResult[] = [];
      for (const t of pick(opts.to)) {
        const r: RemotePruneResult = { target: t.location, plan: { keep: [], remove: [] }, removed: [], skipped: [], damaged: [], cleaned: [] };
        out.push(r);
        try {
          const candidates = [];
          for (const s of await t.list()) {
            if (!s.manifest) r.damaged.push(s.id);
            else if (s.manifest.source.installation_id !== ours) r.skipped.push(s.id);
            else candidates.push({ id: s.id, at: new Date(s.manifest.created_at), verifiedLevel: Math.max(levels.get(s.id) ?? 0, s.verification?.best_level ?? 0) });
          }
          r.plan = planRetention(candidates, now, retentionPolicy(config));
          if (opts.dryRun) continue;
          for (const x of r.plan.remove) {
            await t.delete(x.id);
            await bookkeeping('a pruned offsite copy', () => deleteCopy(k, x.id, t.location));
            r.removed.push(x.id);
          }
          r.cleaned = await t.cleanup();
          if (r.removed.length) logger.info({ target: t.location, removed: r.removed }, 'offsite backups pruned');
        } catch (e) {
          r.error = (e as Error).message;
          logger.error({ target: t.location, err: e }, 'offsite prune failed');
        }
      }
      metrics.invalidate();
      return out;
    },
  };

  if (targets.length > 0 || configError) {
    backups.hooks.afterCreate.push(async (b, onProgress) => {
      let results: CopyResult[];
      try {
        results = await service.sync({ mode: 'new', onProgress });
      } catch (e) {
        onProgress?.(`WARNING: no offsite copy was made: ${(e as Error).message}`);
        throw e;
      }
      for (const r of results) {
        if (r.outcome === 'copied') onProgress?.(`copied ${r.id} to offsite target ${r.target} in ${r.seconds.toFixed(1)} s (checked)`);
        if (r.outcome === 'failed') onProgress?.(`WARNING: copying ${r.id} to offsite target ${r.target} failed: ${r.error}. The backup is safe in ${local().describe()}; retry with: finhub backup push ${b.id}`);
      }
    });
    backups.hooks.afterPrune.push(async (r, opts) => {
      r.offsite = (await service.prune(opts)).map((x) => ({
        target: x.target,
        keep: x.plan.keep.map((p) => p.id),
        remove: x.plan.remove.map((p) => p.id),
        removed: x.removed,
        ...(x.error ? { error: x.error } : {}),
      }));
    });
  }
  return service;
}

export type OffsiteService = ReturnType<typeof createOffsiteService>;
