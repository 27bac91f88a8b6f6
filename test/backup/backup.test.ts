// create -> list -> verify (L1-L4) -> restore -> drill -> prune on the demo
// ledger, on the engine of this test project, through the backup service the
// CLI and the scheduler use. The reference `age` tool must decrypt the archive.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService } from '../../src/auth/auth.service.ts';
import { backupJobHandlers, backupSchedules } from '../../src/backup/backup.jobs.ts';
import type { JobContext } from '../../src/jobs/worker.ts';
import { parseManifest, type Manifest } from '../../src/backup/format.ts';
import { getBackupStatus } from '../../src/backup/status.ts';
import { createDb, type Db } from '../../src/db/create-db.ts';
import { migrations } from '../../src/db/migrations/index.ts';
import { currentMigration, migrateUp, pendingMigrations } from '../../src/db/migrator.ts';
import { loadConfig } from '../../src/config/config.ts';
import { runCommand } from '../../src/cli/main.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createScratchPgDatabase, testEngine } from '../helpers/db.ts';
import { backupEnv, seedDemo, tableFingerprints, type BackupEnv, type Seeded } from './helpers.ts';

const LATEST = Object.keys(migrations).at(-1)!;

/** An empty target database of this project's engine. */
async function emptyTarget(): Promise<{ db: Db; target: { kind: 'postgres'; url: string } | { kind: 'embedded'; dataDir: string }; cleanup(): Promise<void> }> {
  if (testEngine === 'postgres') {
    const s = await createScratchPgDatabase('finhub_bkt');
    return {
      target: { kind: 'postgres', url: s.url },
      db: await createDb({ databaseUrl: s.url, poolSize: 2 }),
      cleanup: async () => s.drop(),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'finhub-bk-target-'));
  return {
    target: { kind: 'embedded', dataDir: dir },
    // Opened only after the restore (which locks and opens the directory itself).
    db: undefined as unknown as Db,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function openTarget(t: Awaited<ReturnType<typeof emptyTarget>>): Promise<Db> {
  if (t.target.kind === 'embedded') return createDb({ dataDir: t.target.dataDir });
  return t.db;
}

describe(`backups on ${testEngine}`, { timeout: 300_000 }, () => {
  let e: BackupEnv;
  let t: TestApp;
  let seeded: Seeded;
  let first: { id: string; manifest: Manifest; path: string };

  beforeAll(async () => {
    e = await backupEnv();
    t = await createTestApp(e.env);
    seeded = await seedDemo(t.c.db);
  });
  afterAll(async () => {
    await t?.close();
    e?.cleanup();
  });

  it('creates an encrypted archive and a manifest describing the snapshot; the reference age tool decrypts it', async () => {
    const before = await tableFingerprints(t.c.db);
    first = await t.c.backups.create({ note: 'first backup' });
    const m = parseManifest(readFileSync(t.c.backups.store.manifestPath(first.id), 'utf8'));
    expect(m.id).toBe(first.id);
    expect(m.engine).toBe(testEngine);
    expect(m.migration).toBe(LATEST);
    expect(m.note).toBe('first backup');
    expect(m.recipients).toEqual([e.recipient]);
    expect(m.archive.size).toBe(readFileSync(first.path).length);
    // Every table's fingerprint equals the database's at the time (nothing wrote in between);
    // api_tokens is marked revoked at the snapshot time, so it depends on when it is read.
    for (const tb of m.tables) if (tb.name !== 'api_tokens') expect(`${tb.rows}:${tb.sha256}`, tb.name).toBe(before[tb.name]);
    const tx = m.tables.find((x) => x.name === 'transactions')!;
    expect(tx.rows).toBe(seeded.transactions);
    expect(m.invariants).toMatchObject({ transactions: seeded.transactions, split_mismatches: 0, transfer_broken: 0, account_sum_mismatches: 0 });
    expect(m.invariants!.split_parents).toBeGreaterThan(0);
    expect(m.invariants!.transfer_rows).toBeGreaterThan(0);
    expect(Object.keys(m.excluded.tables)).toEqual(expect.arrayContaining(['sessions', 'finhub_migrations', 'backups']));
    expect(m.tables.map((x) => x.name)).not.toContain('sessions');
    expect(Object.keys(m.tables.find((x) => x.name === 'api_tokens')!.replaced_columns ?? {})).toEqual(['token_hash', 'revoked_at']);
    // Referenced tables come before the tables that reference them.
    const order = m.tables.map((x) => x.name);
    expect(order.indexOf('users')).toBeLessThan(order.indexOf('ledgers'));
    expect(order.indexOf('accounts')).toBeLessThan(order.indexOf('transactions'));

    // The reference implementation decrypts it; inside: gzip members of NDJSON sections.
    const plain = gunzipSync(execFileSync('age', ['-d', '-i', e.keyFile, first.path], { maxBuffer: 256 * 1024 * 1024 })).toString('utf8');
    const lines = plain.trimEnd().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ kind: 'header', id: first.id });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ kind: 'trailer', manifest: { id: first.id } });
    // Secrets stay out: no session or token hash; password hashes (argon2id) stay in, to log in after a restore.
    const tokenHashes = await t.c.db.kysely.selectFrom('api_tokens').select('token_hash').execute();
    const sessionHashes = await t.c.db.kysely.selectFrom('sessions').select('token_hash').execute();
    expect(tokenHashes.length).toBeGreaterThan(0);
    expect(sessionHashes.length).toBeGreaterThan(0);
    for (const h of [...tokenHashes, ...sessionHashes]) expect(plain.includes(h.token_hash)).toBe(false);
    expect(plain).toContain('$argon2id$');
  });

  it('lists the backup from the catalogue and from the directory alone', async () => {
    const rows = await t.c.backups.list();
    expect(rows[0]).toMatchObject({ id: first.id, note: 'first backup', status: 'ok', locations: ['local'], verifiedLevel: 0, kind: 'manual', ours: true });
    expect(rows[0]!.sizeBytes).toBe(first.manifest.archive.size);
    const out: string[] = [];
    // With the catalogue emptied, the directory still lists it.
    await t.c.db.kysely.deleteFrom('backups').execute();
    expect(await runCommand(['backup', 'list'], { out: (l) => out.push(l), err: (l) => out.push(l) }, async () => t.c)).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`${first.id}\\s+\\S+\\s+[\\d.]+ KiB\\s+-\\s+local\\s+manual\\s+first backup`));
    expect(await t.c.backups.syncCatalogue()).toBe(1);
  });

  it('verifies at levels 1 to 4 and records the highest level reached', async () => {
    for (const level of [1, 2] as const) {
      const r = await t.c.backups.verify(first.id, level);
      expect(r.problems).toEqual([]);
      expect(r.levelReached).toBe(level);
    }
    const r3 = await t.c.backups.verify(first.id, 3);
    expect(r3.problems).toEqual([]);
    expect(r3.levelReached).toBe(3);
    // A level 3 scratch copy skips the non-unique indexes (they cannot reject data); level 4 rebuilds them.
    expect(r3.steps[2]!.detail).toMatch(/unique indexes and foreign keys re-created and validated \(non-unique indexes are rebuilt at level 4\)/);
    const r4 = await t.c.backups.verify(first.id, 4);
    expect(r4.problems).toEqual([]);
    expect(r4.steps[2]!.detail).not.toMatch(/non-unique/);
    expect(r4.ok).toBe(true);
    expect(r4.levelReached).toBe(4);
    expect(r4.steps.map((s) => s.level)).toEqual([1, 2, 3, 4]);
    expect(r4.steps[3]!.detail).toMatch(/ledger invariants hold.*\/health\/ready passes.*lists 1 ledger/);
    const listed = (await t.c.backups.list()).find((b) => b.id === first.id)!;
    expect(listed.verifiedLevel).toBe(4);
    const status = await getBackupStatus(t.c.db);
    expect(status.lastVerifiedAt?.toISOString()).toBe(new Date(first.manifest.created_at).toISOString());
    expect(status.lastSuccessAt?.toISOString()).toBe(new Date(first.manifest.created_at).toISOString());
    expect(status.count).toBe(1);
    expect(status.lastSizeBytes).toBe(first.manifest.archive.size);
    // The verification record beside the archive survives losing the catalogue.
    expect(JSON.parse(readFileSync(join(e.dir, `finhub-${first.id}.verify.json`), 'utf8'))).toMatchObject({ best_level: 4, ok: true });
  });

  it('restores into an empty database: same rows, users can log in, tokens and sessions are gone', async () => {
    const target = await emptyTarget();
    try {
      const r = await t.c.backups.restore(first.id, target.target, {});
      expect(r.safetyBackup).toBeNull();
      expect(r.rows).toBe(first.manifest.tables.reduce((a, x) => a + x.rows, 0));
      const db = await openTarget(target);
      try {
        const fps = await tableFingerprints(db);
        for (const tb of first.manifest.tables) expect(fps[tb.name], tb.name).toBe(`${tb.rows}:${tb.sha256}`);
        expect(await currentMigration(db)).toBe(LATEST);
        const auth = createAuthService({ db, sessionTtlHours: 1 });
        await expect(auth.login(seeded.email, seeded.password, null)).resolves.toBeTruthy();
        const tokens = await db.kysely.selectFrom('api_tokens').select(['token_hash', 'revoked_at']).execute();
        expect(tokens.length).toBeGreaterThan(0);
        for (const tk of tokens) {
          expect(tk.token_hash).toMatch(/^excluded-from-backup:/);
          expect(tk.revoked_at).not.toBeNull();
        }
        const sessions = await db.kysely.selectFrom('sessions').select('id').execute();
        expect(sessions).toHaveLength(1); // the login just above; none came from the backup
        // The restored database works on: triggers are back (a new row updates the account sum).
        const acc = await db.kysely.selectFrom('accounts').select(['id', 'ledger_id', 'tx_sum_minor']).where('currency', '=', 'USD').limit(1).executeTakeFirstOrThrow();
        await db.kysely.insertInto('transactions').values({ ledger_id: acc.ledger_id, account_id: acc.id, posted_on: '2026-11-01', amount_minor: 123n }).execute();
        const after = await db.kysely.selectFrom('accounts').select('tx_sum_minor').where('id', '=', acc.id).executeTakeFirstOrThrow();
        expect(after.tx_sum_minor).toBe(acc.tx_sum_minor + 123n);
      } finally {
        if (target.target.kind === 'embedded') await db.close();
      }
    } finally {
      if (target.target.kind === 'postgres') await target.db.close();
      await target.cleanup();
    }
  });

  it('refuses a target that holds data unless forced, then takes a safety backup first', async () => {
    const target = await emptyTarget();
    try {
      await t.c.backups.restore(first.id, target.target, {});
      await expect(t.c.backups.restore(first.id, target.target, {})).rejects.toThrow(/is not empty .* nothing was changed\. Add --force/);
      // The operator switched maintenance mode on in the target before restoring: it must stay on.
      const db0 = await openTarget(target);
      await db0.kysely.insertInto('maintenance_windows').values({ message: 'restoring', started_by: 'test' }).execute();
      if (target.target.kind === 'embedded') await db0.close();
      const r = await t.c.backups.restore(first.id, target.target, { force: true });
      expect(r.keptFromTarget).toEqual(['maintenance_windows']);
      const db1 = await openTarget(target);
      try {
        expect(await db1.kysely.selectFrom('maintenance_windows').select(['message', 'ended_at']).execute()).toEqual([{ message: 'restoring', ended_at: null }]);
      } finally {
        if (target.target.kind === 'embedded') await db1.close();
      }
      expect(r.safetyBackup).not.toBeNull();
      const safety = (await t.c.backups.list()).find((b) => b.id === r.safetyBackup!.id)!;
      expect(safety).toMatchObject({ kind: 'safety', status: 'ok' });
      expect(safety.note).toBe(`safety copy taken before restoring ${first.id}`);
      expect((await t.c.backups.verify(safety.id, 2)).ok).toBe(true);
    } finally {
      if (target.target.kind === 'postgres') await target.db.close();
      await target.cleanup();
    }
  });

  it('restores an older backup and then applies the newer migrations', async () => {
    const older = await emptyTarget();
    const fresh = await emptyTarget();
    let src: Db | undefined;
    try {
      src = testEngine === 'postgres' ? older.db : await createDb({ dataDir: (older.target as { dataDir: string }).dataDir });
      const first = Object.keys(migrations)[0]!;
      const m = new Migrator({ db: src.kysely, provider: { getMigrations: async () => migrations }, migrationTableName: 'finhub_migrations', migrationLockTableName: 'finhub_migrations_lock' });
      expect((await m.migrateTo(first)).error).toBeUndefined();
      const s = await seedDemo(src, { seed: 'old', scale: 0.1 });
      // Back the old database up through a service pointed at it (as `finhub migrate up` would, before migrating).
      const { createBackupService } = await import('../../src/backup/backup.service.ts');
      const svc = createBackupService({ config: loadConfig({ ...e.env, FINHUB_ENV: 'test' }), db: src, logger: t.c.logger, metrics: (await import('../../src/ops/metrics/metrics.ts')).createMetrics(), version: 'test' });
      const b = await svc.create({ kind: 'pre-migrate' });
      expect(b.manifest.migration).toBe(first);
      const r = await t.c.backups.restore(b.id, fresh.target, {});
      expect(r.backupMigration).toBe(first);
      expect(r.migrationsApplied).toEqual(Object.keys(migrations).slice(1));
      const db = await openTarget(fresh);
      try {
        expect(await pendingMigrations(db)).toEqual([]);
        const n = await db.kysely.selectFrom('transactions').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow();
        expect(Number(n.n)).toBe(s.transactions);
      } finally {
        if (fresh.target.kind === 'embedded') await db.close();
      }
    } finally {
      if (src && older.target.kind === 'embedded') await src.close();
      for (const x of [older, fresh]) {
        if (x.target.kind === 'postgres') await x.db.close();
        await x.cleanup();
      }
    }
  });

  it('drill restores the newest backup, verifies at L4 and records RTO, RPO and metrics', async () => {
    const d = await t.c.backups.drill();
    expect(d.report.ok).toBe(true);
    expect(d.report.levelReached).toBe(4);
    expect(d.restoreSeconds).toBeGreaterThan(0);
    expect(d.rpoSeconds).toBeGreaterThan(0);
    const row = await t.c.db.kysely.selectFrom('backup_drills').selectAll().orderBy('started_at', 'desc').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ backup_id: d.backupId, status: 'succeeded', level_reached: 4 });
    expect(row.restore_seconds).toBeCloseTo(d.restoreSeconds!, 6);
    const status = await getBackupStatus(t.c.db);
    expect(status.lastDrillSeconds).toBeCloseTo(d.restoreSeconds!, 6);
    t.c.backups.metrics.invalidate();
    const text = await t.c.metrics.registry.metrics();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('finhub_restore_drill_duration_seconds')).toBeCloseTo(d.restoreSeconds!, 6);
    expect(value('finhub_backup_last_verified_timestamp_seconds')).toBe(status.lastVerifiedAt!.getTime() / 1000);
    expect(value('finhub_backup_last_success_timestamp_seconds')).toBe(status.lastSuccessAt!.getTime() / 1000);
    expect(value('finhub_backup_size_bytes')).toBe(status.lastSizeBytes);
    expect(value('finhub_backup_duration_seconds')).toBeGreaterThan(0);
    expect(text).toMatch(/finhub_backup_operations_total\{operation="drill",outcome="success"\} 1/);
    // promtool accepts the exposition.
    execFileSync('promtool', ['check', 'metrics'], { input: text });
  });

  it('prune keeps the newest and the newest verified backup, deletes what no rule keeps', async () => {
    const older = await t.c.backups.create({ note: 'middle' });
    const newest = await t.c.backups.create({ note: 'newest' });
    // A year and a half later every backup is outside the daily and weekly windows; one per month is kept.
    const later = new Date(Date.now() + 400 * 86_400_000);
    const dry = await t.c.backups.prune({ dryRun: true, now: later });
    const verifiedNewest = (await t.c.backups.list()).filter((b) => b.verifiedLevel >= 3).map((b) => b.id)[0]!;
    expect(dry.plan.keep.map((k) => k.id)).toEqual(expect.arrayContaining([newest.id, verifiedNewest]));
    expect(dry.plan.keep.find((k) => k.id === verifiedNewest)!.reasons).toContain('newest verified');
    expect(dry.plan.remove.map((x) => x.id)).toContain(older.id);
    expect(existsSync(older.path)).toBe(true); // dry run
    const real = await t.c.backups.prune({ now: later });
    expect(real.removed).toEqual(dry.plan.remove.map((x) => x.id));
    expect(existsSync(older.path)).toBe(false);
    expect(existsSync(newest.path)).toBe(true);
    expect((await t.c.backups.list()).map((b) => b.id)).not.toContain(older.id);
  });

  it('schedules backup every 6 h, verify daily, drill monthly, prune daily; the job handlers work', async () => {
    const config = loadConfig({ ...e.env, FINHUB_BACKUP_DRILL_SCHEDULE: 'off' });
    const s = backupSchedules(config, { recipients: true, identity: true });
    expect(s.map((x) => [x.name, x.cron, x.enabled])).toEqual([
      ['backup.create', '0 */6 * * *', true],
      ['backup.verify', '30 4 * * *', true],
      ['backup.drill', '0 5 1 * *', false],
      ['backup.prune', '15 5 * * *', true],
    ]);
    expect(backupSchedules(config, { recipients: false, identity: false }).filter((x) => x.enabled).map((x) => x.name)).toEqual(['backup.prune']);
    const handlers = backupJobHandlers(t.c);
    const ctx = { jobId: 'x', attempt: 1, signal: new AbortController().signal, extendLease: async () => true, requestId: null, logger: undefined } as unknown as JobContext;
    const made = (await handlers['backup.create']!({}, ctx)) as { id: string };
    const listed = (await t.c.backups.list()).find((b) => b.id === made.id)!;
    expect(listed.kind).toBe('scheduled');
    const verified = (await handlers['backup.verify']!({}, ctx)) as { id: string; level: number };
    expect(verified).toMatchObject({ id: made.id, level: 3 });
    await expect(handlers['backup.prune']!({}, ctx)).resolves.toMatchObject({ removed: [] });
  });

  it('`finhub migrate up` backs up first when migrations are pending', async () => {
    const m = new Migrator({ db: t.c.db.kysely, provider: { getMigrations: async () => migrations }, migrationTableName: 'finhub_migrations', migrationLockTableName: 'finhub_migrations_lock' });
    expect((await m.migrateDown()).error).toBeUndefined();
    expect(await pendingMigrations(t.c.db)).toEqual([LATEST]);
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    expect(await runCommand(['migrate', 'up'], io, async () => t.c)).toBe(0);
    const text = out.join('\n');
    const id = /backup (\S+) written to (\S+)/.exec(text);
    expect(id, text).not.toBeNull();
    expect(existsSync(id![2]!)).toBe(true);
    expect(text).toContain(`applied ${LATEST}`);
    const b = (await t.c.backups.list()).find((x) => x.id === id![1])!;
    expect(b).toMatchObject({ kind: 'pre-migrate', migration: Object.keys(migrations).at(-2) });
    // Nothing pending: no backup. --no-backup skips it.
    out.length = 0;
    expect(await runCommand(['migrate', 'up'], io, async () => t.c)).toBe(0);
    expect(out.join('\n')).not.toMatch(/backup/);
    await m.migrateDown();
    out.length = 0;
    expect(await runCommand(['migrate', 'up', '--no-backup'], io, async () => t.c)).toBe(0);
    expect(out.join('\n')).toMatch(/--no-backup: migrating without a backup/);
    await migrateUp(t.c.db);
    expect(await sql`select 1`.execute(t.c.db.kysely)).toBeTruthy();
  });
});
