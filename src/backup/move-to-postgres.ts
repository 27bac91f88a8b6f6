// `finhub migrate-to-postgres DATABASE_URL`: an embedded installation grows
// into PostgreSQL through the ordinary backup path, so what is moved is
// exactly what a backup holds and the proof is the same as for a restore:
//
//   1. take a backup of the embedded database (a normal, kept backup)
//   2. restore it into the EMPTY target in one transaction, recomputing every
//      table's fingerprint from the restored rows and comparing it with the
//      manifest before COMMIT (level 3, against the target itself)
//   3. level 4 against the target: ledger invariants, no pending migrations,
//      and the application starts on it and serves an authenticated request
//      (the temporary token that check creates is deleted again)
//   4. record the backup as verified at level 4, rebuild the backup catalogue
//      inside the target, and put the embedded database into maintenance mode
//      so an accidental start of the old setup refuses changes
//
// It runs with the embedded server STOPPED: the command then holds the data
// directory's lock itself, so nothing can change between the backup and the
// switch. Inside a running server (a forwarded command) it refuses.
import { connect } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Container } from '../app/container.ts';
import { createDb, type Db } from '../db/create-db.ts';
import { lockHolder, SOCKET_FILE } from '../db/data-dir-lock.ts';
import { pendingMigrations } from '../db/migrator.ts';
import { createMetrics } from '../ops/metrics/metrics.ts';
import { AppError } from '../shared/app-error.ts';
import { appStartsOn } from './app-check.ts';
import { backupDir, createBackupService, maskUrl } from './backup.service.ts';
import * as catalog from './catalog.repository.ts';
import { invariantViolations } from './invariants.ts';
import { BackupConfigError, loadIdentities, requireRecipients } from './keys.ts';
import { restoreInto, tablesWithData, type RestoreResult } from './restore.ts';
import type { VerificationRecord } from './store.ts';
import { verifyBackup } from './verify.ts';

type Progress = (line: string) => void;

export interface MoveStep {
  level: number;
  detail: string;
}

export interface MoveResult {
  backupId: string;
  backupPath: string;
  /** The target URL with its password hidden. */
  target: string;
  tables: number;
  rows: number;
  steps: MoveStep[];
  seconds: { backup: number; restore: number; appCheck: number; total: number };
  dataDir: string;
  backupDir: string;
  maintenanceOn: boolean;
  markerFile: string | null;
  catalogueRows: number | null;
}

export const MARKER_FILE = 'MOVED-TO-POSTGRES.txt';

/** The move failed after it started; the message says what state each side is in. */
export class MoveError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MoveError';
  }
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((done) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
}

/** The L4 application check creates a token (and its audit event) as a ledger owner; on a real target they must not stay. */
async function appCheckLeavingNoTrace(db: Db): Promise<string> {
  const [{ t0 }] = (await sql<{ t0: Date }>`select clock_timestamp() as t0`.execute(db.kysely)).rows as [{ t0: Date }];
  try {
    return await appStartsOn(db);
  } finally {
    await sql`with t as (delete from api_tokens where name = 'backup-verify' and created_at >= ${t0} returning id::text as id)
              delete from audit_events where action = 'token.create' and entity_type = 'api_token' and entity_id in (select id from t)`.execute(db.kysely);
  }
}

export async function moveToPostgres(c: Container, opts: { url: string; identityFile?: string | undefined; onProgress?: Progress }): Promise<MoveResult> {
  const started = process.hrtime.bigint();
  const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;
  const progress = opts.onProgress ?? (() => {});
  const { config } = c;
  const target = maskUrl(opts.url);

  if (config.databaseUrl || c.db.engine !== 'pglite') {
    throw new AppError('CONFLICT', `this installation already runs on PostgreSQL (DATABASE_URL is set). To copy it to another PostgreSQL database: finhub backup create, then finhub backup restore ID --to ${target}`);
  }
  if (!/^postgres(ql)?:\/\//.test(opts.url)) throw new AppError('VALIDATION_FAILED', 'DATABASE_URL must be a postgres:// or postgresql:// URL');
  if (lockHolder(config.dataDir) === process.pid && (await socketAnswers(join(config.dataDir, SOCKET_FILE)))) {
    throw new AppError(
      'CONFLICT',
      `refusing to move ${config.dataDir} while the finhub server is running on it: changes made after the backup would be lost. ` +
        'Stop finhub (SIGTERM; it drains), then run finhub migrate-to-postgres again; it takes about as long as a backup plus a restore.',
    );
  }

  // Keys first: a restore needs the private key, and failing after the backup would waste it.
  const recipients = await requireRecipients(config);
  const ids = await loadIdentities(opts.identityFile ?? config.backupIdentityFile);
  if (ids.warning) progress(ids.warning);
  if (!ids.recipients.some((r) => recipients.includes(r))) {
    throw new BackupConfigError(`the identity file ${ids.file} (public key ${ids.recipients.join(', ')}) is not one of the backup recipients (${recipients.join(', ')}); the new backup could not be restored with it`);
  }

  const targetDb = await createDb({ databaseUrl: opts.url, poolSize: 2, applicationName: 'finhub-migrate-to-postgres' });
  try {
    const [{ v }] = (await sql<{ v: number }>`select current_setting('server_version_num')::int as v`.execute(targetDb.kysely)).rows as [{ v: number }];
    if (v < 150000) throw new AppError('UNPROCESSABLE', `${target} runs PostgreSQL ${Math.floor(v / 10000)}; finhub needs 15 or newer`);
    const holding = await tablesWithData(targetDb.kysely);
    if (holding.length > 0) {
      throw new AppError(
        'CONFLICT',
        `${target} is not empty (${holding.slice(0, 6).join(', ')}${holding.length > 6 ? ', …' : ''} hold data); nothing was changed. ` +
          'Give an empty database (e.g. createdb finhub), or, to replace that data deliberately, use finhub backup restore ID --to URL --force.',
      );
    }

    // ---- 1. backup ----
    const tb = process.hrtime.bigint();
    progress(`1/4 backing up the embedded database in ${config.dataDir}`);
    const b = await c.backups.create({ note: `before moving to PostgreSQL ${target}`, onProgress: (l) => progress(`  ${l}`) });
    const backupSeconds = since(tb);
    const steps: MoveStep[] = [];
    const l1 = await verifyBackup(c.backups.store, b.id, { level: 1 });
    if (!l1.ok) throw new MoveError(`the new backup ${b.id} does not pass level 1: ${l1.problems.join('; ')}`);
    steps.push({ level: 1, detail: l1.steps[0]!.detail });
    const inv = b.manifest.invariants;
    const broken = inv ? invariantViolations(inv) : [];
    if (broken.length) throw new MoveError(`the embedded database itself violates ledger invariants, so it is not moved: ${broken.join('; ')}`);

    // ---- 2. restore + level 3 against the target ----
    progress(`2/4 restoring ${b.id} into ${target} and comparing every table's fingerprint before committing`);
    let restored: RestoreResult;
    try {
      restored = await restoreInto(targetDb, { store: c.backups.store, id: b.id, manifest: b.manifest }, { identities: ids.identities, checkFingerprints: true, migrateToLatest: true, onProgress: (l) => progress(`  ${l}`) });
    } catch (e) {
      throw new MoveError(`restoring into ${target} failed; nothing was committed there and the embedded database is unchanged: ${(e as Error).message}`, { cause: e });
    }
    steps.push({ level: 2, detail: `decrypted and read every section of the archive; each section checksum matches` });
    steps.push({ level: 3, detail: `restored ${restored.tables.length} tables, ${restored.rows} rows into ${target}; every row count and fingerprint, recomputed from the restored rows, matches the backup` });

    // ---- 3. level 4 against the target ----
    progress('3/4 level 4: ledger invariants, migrations and an application start on the PostgreSQL database');
    const ta = process.hrtime.bigint();
    const pending = await pendingMigrations(targetDb);
    const violations = restored.invariants ? invariantViolations(restored.invariants) : [];
    let appDetail: string;
    try {
      if (pending.length) throw new Error(`migrations still pending: ${pending.join(', ')}`);
      if (violations.length) throw new Error(`ledger invariants: ${violations.join('; ')}`);
      appDetail = await appCheckLeavingNoTrace(targetDb);
    } catch (e) {
      throw new MoveError(
        `${target} holds the restored data but did not pass level 4 (${(e as Error).message}). Do not switch to it; the embedded database is unchanged and still in use. ` +
          'Empty the PostgreSQL database (dropdb/createdb) before trying again.',
      );
    }
    const appSeconds = since(ta);
    const i = restored.invariants;
    steps.push({ level: 4, detail: `${i ? `ledger invariants hold (${i.split_parents} splits, ${i.transfer_rows / 2} transfers, ${i.accounts} account balances); ` : ''}no migration pending; ${appDetail}` });

    // ---- 4. bookkeeping, and close the old door ----
    progress('4/4 recording the verification and switching the embedded database to maintenance mode');
    const at = new Date().toISOString();
    const record: VerificationRecord = { backup_id: b.id, level_requested: 4, level_reached: 4, ok: true, at, problems: [], best_level: 4, best_at: at };
    await c.backups.store.writeVerification(b.id, record).catch(() => {});
    await catalog.upsertFromManifest(c.db.kysely, b.manifest, { location: c.backups.store.location, verifiedLevel: 4, verifiedAt: new Date(at) }).catch(() => {});
    const dir = backupDir(config);
    let catalogueRows: number | null = null;
    try {
      // The new installation knows its backups from the first start (same directory via FINHUB_BACKUP_DIR).
      const onTarget = createBackupService({ config: { ...config, databaseUrl: opts.url, backupDir: dir }, db: targetDb, logger: c.logger, metrics: createMetrics(), version: b.manifest.finhub_version });
      catalogueRows = await onTarget.syncCatalogue();
    } catch (e) {
      c.logger.warn({ err: e }, 'could not rebuild the backup catalogue in the PostgreSQL database');
    }
    let maintenanceOn = false;
    try {
      await c.maintenance.set({ name: 'cli:migrate-to-postgres', actor: null }, { message: 'This finhub installation has moved to PostgreSQL; this embedded copy is kept unchanged for a rollback.', reason: `migrate-to-postgres ${target} (backup ${b.id})` });
      maintenanceOn = true;
    } catch (e) {
      c.logger.warn({ err: e }, 'could not switch the embedded database to maintenance mode');
    }
    let markerFile: string | null = join(config.dataDir, MARKER_FILE);
    await writeFile(
      markerFile,
      `This data directory was moved to PostgreSQL on ${at} by finhub migrate-to-postgres.\n` +
        `Target: ${target}\nBackup: ${b.id} (${b.path}), verified at level 4 against the target.\n` +
        `Run finhub with DATABASE_URL set to that database and FINHUB_BACKUP_DIR=${dir}.\n` +
        `Rollback: unset DATABASE_URL, run "finhub maintenance off", start finhub: this directory is as it was before the move.\n`,
      { mode: 0o600 },
    ).catch(() => {
      markerFile = null;
    });
    c.logger.info({ backup: b.id, target, rows: restored.rows }, 'moved the embedded database to PostgreSQL');
    return {
      backupId: b.id,
      backupPath: b.path,
      target,
      tables: restored.tables.length,
      rows: restored.rows,
      steps,
      seconds: { backup: backupSeconds, restore: restored.seconds.total, appCheck: appSeconds, total: since(started) },
      dataDir: config.dataDir,
      backupDir: dir,
      maintenanceOn,
      markerFile,
      catalogueRows,
    };
  } finally {
    await targetDb.close();
  }
}
