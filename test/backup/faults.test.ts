// Faults, with the real CLI in child processes: kill -9 while a backup is being
// written, kill -9 in the middle of a restore, a full disk (a real 1 MiB tmpfs
// when this runs as root, and always an injected ENOSPC writer).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.ts';
import { LocalDirStore, StoreWriteError } from '../../src/backup/store.ts';
import { verifyBackup } from '../../src/backup/verify.ts';
import { createDb, type Db } from '../../src/db/create-db.ts';
import { migrateUp } from '../../src/db/migrator.ts';
import { createScratchPgDatabase, testEngine } from '../helpers/db.ts';
import { baseEnv, cli, runCli } from './cli-process.ts';
import { backupEnv, digest, seedDemo, tableFingerprints, type BackupEnv } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function embeddedWithDemo(dir: string, opts: { seed: string; years?: number; scale?: number }): Promise<string> {
  const db = await createDb({ dataDir: dir });
  try {
    await migrateUp(db);
    await seedDemo(db, opts);
    return digest(await tableFingerprints(db, { raw: true }));
  } finally {
    await db.close();
  }
}

async function withDb<T>(dir: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await createDb({ dataDir: dir });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const manifests = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.manifest.json')) : []);

describe.runIf(testEngine === 'pglite')('faults on the embedded engine (CLI child processes)', { timeout: 400_000 }, () => {
  let e: BackupEnv;
  let source: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    e = await backupEnv();
    source = join(e.root, 'data');
    await embeddedWithDemo(source, { seed: 'faults', years: 3, scale: 2 });
    env = baseEnv({ ...e.env, FINHUB_DATA_DIR: source });
  });
  afterAll(() => e?.cleanup());

  it('kill -9 while the archive is being written leaves nothing that looks like a backup; the next run succeeds', async () => {
    const run = runCli(['backup', 'create'], env);
    // Kill once the partial archive exists and has grown: the writer is mid-stream.
    let partial: string | undefined;
    const deadline = Date.now() + 180_000;
    while (!partial && Date.now() < deadline) {
      const p = existsSync(e.dir) ? readdirSync(e.dir).find((n) => n.endsWith('.partial')) : undefined;
      if (p && statSync(join(e.dir, p)).size > 0) partial = p;
      else if (run.child.exitCode !== null) break;
      else await sleep(2);
    }
    expect(partial, `no growing .partial file seen; output:\n${run.output()}`).toBeDefined();
    await run.kill9();
    expect(run.child.signalCode).toBe('SIGKILL');
    expect(manifests(e.dir)).toEqual([]);
    expect(readdirSync(e.dir).filter((n) => n.endsWith('.age'))).toEqual([]);
    const listed = await cli(['backup', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out.trim().split('\n').at(-1)!).filter((b: { status: string }) => b.status === 'ok')).toEqual([]);

    const next = await cli(['backup', 'create', '--note', 'after the crash'], env);
    expect(next.code, next.out).toBe(0);
    expect(next.out).toContain(`removed ${partial} (left by an interrupted backup)`);
    expect(readdirSync(e.dir).filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect(manifests(e.dir)).toHaveLength(1);
    const verified = await cli(['backup', 'verify', '--latest', '--level', '2'], env);
    expect(verified.code, verified.out).toBe(0);
  });

  it('kill -9 during a restore leaves the target as it was, and its safety backup intact', async () => {
    const target = join(e.root, 'target');
    const before = await embeddedWithDemo(target, { seed: 'target', scale: 0.3 });
    const id = /backup (\S+) created/.exec((await cli(['backup', 'create'], env)).out)![1]!;
    const run = runCli(['backup', 'restore', id, '--data-dir', target, '--force'], env);
    await run.waitFor(/safety backup (\S+) written/);
    await run.waitFor(/loading transactions/);
    await run.kill9();
    const safetyId = /safety backup (\S+) written/.exec(run.output())![1]!;
    // The target is untouched (the restore transaction never committed) and opens normally.
    expect(await withDb(target, async (db) => digest(await tableFingerprints(db, { raw: true })))).toBe(before);
    const safety = await verifyBackup(new LocalDirStore(e.dir), safetyId, { level: 2, identities: [e.identity] });
    expect(safety.problems).toEqual([]);
    // Running it again completes, taking another safety backup of the (unchanged) target first.
    const again = await cli(['backup', 'restore', id, '--data-dir', target, '--force'], env);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/restored backup \S+ into the embedded database in/);
    expect(await withDb(target, async (db) => digest(await tableFingerprints(db, { raw: true })))).not.toBe(before);
  });

  it('a full disk (injected ENOSPC) fails with a clear error, removes the partial file and leaves older backups alone', async () => {
    const db = await createDb({ dataDir: source }).catch(() => undefined);
    expect(db, 'the source directory must be free (no CLI left running)').toBeDefined();
    try {
      const dir = join(e.root, 'enospc');
      const good = await createBackup({ db: db!, store: new LocalDirStore(dir), recipients: [e.recipient], finhubVersion: 'test' });
      const full = new LocalDirStore(dir, {
        beforeWrite: (bytes) => {
          if (bytes > 64 * 1024) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        },
      });
      const err = await createBackup({ db: db!, store: full, recipients: [e.recipient], finhubVersion: 'test' }).then(() => undefined, (x: unknown) => x);
      expect(err).toBeInstanceOf(StoreWriteError);
      expect((err as Error).message).toMatch(new RegExp(`the backup directory ${dir} is full \\(ENOSPC\\) after \\d+ bytes of the archive were written; the partial file was removed and older backups were not touched`));
      expect(readdirSync(dir).filter((n) => n.includes('.partial'))).toEqual([]);
      expect(manifests(dir)).toHaveLength(1);
      expect((await verifyBackup(new LocalDirStore(dir), good.id, { level: 2, identities: [e.identity] })).ok).toBe(true);
    } finally {
      await db?.close();
    }
  });

  describe('on a real 1 MiB tmpfs', () => {
    let mnt = '';
    let mounted = false;
    // Mounted at run time (never while tests are only being collected), unmounted afterwards.
    beforeAll(() => {
      mnt = mkdtempSync(join(tmpdir(), 'finhub-tmpfs-'));
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'ignore' });
        mounted = true;
      } catch {
        // Not root or no CAP_SYS_ADMIN: the injected ENOSPC test above covers the code path.
      }
    });
    afterAll(() => {
      if (mounted) execFileSync('umount', [mnt]);
      if (mnt) rmSync(mnt, { recursive: true, force: true });
    });

    it('the CLI reports the full disk, exits 1, and the older backup still verifies', async (ctx) => {
      if (!mounted) ctx.skip('cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)');
      const small = join(e.root, 'small');
      await embeddedWithDemo(small, { seed: 'small', scale: 0.05 });
      const dirEnv = { FINHUB_BACKUP_DIR: join(mnt, 'backups') };
      const first = await cli(['backup', 'create'], baseEnv({ ...e.env, ...dirEnv, FINHUB_DATA_DIR: small }));
      expect(first.code, first.out).toBe(0);
      // Leave less room than the big backup needs.
      const free = statfsSync(mnt).bavail * statfsSync(mnt).bsize;
      mkdirSync(join(mnt, 'filler'), { recursive: true });
      writeFileSync(join(mnt, 'filler', 'f'), Buffer.alloc(Math.max(0, free - 96 * 1024)));
      const big = await cli(['backup', 'create'], baseEnv({ ...e.env, ...dirEnv, FINHUB_DATA_DIR: source }));
      expect(big.code).toBe(1);
      expect(big.out).toMatch(/error: the backup directory \S+ is full \(ENOSPC\) after \d+ bytes of the archive were written; the partial file was removed and older backups were not touched/);
      expect(readdirSync(join(mnt, 'backups')).filter((n) => n.includes('.partial'))).toEqual([]);
      expect(manifests(join(mnt, 'backups'))).toHaveLength(1);
      const v = await cli(['backup', 'verify', '--latest', '--level', '2'], baseEnv({ ...e.env, ...dirEnv, FINHUB_DATA_DIR: small }));
      expect(v.code, v.out).toBe(0);
    });
  });
});

describe.runIf(testEngine === 'postgres')('faults on PostgreSQL (CLI child processes)', { timeout: 400_000 }, () => {
  let e: BackupEnv;
  let src: Awaited<ReturnType<typeof createScratchPgDatabase>>;
  let tgt: Awaited<ReturnType<typeof createScratchPgDatabase>>;

  beforeAll(async () => {
    e = await backupEnv();
    src = await createScratchPgDatabase('finhub_bkf');
    tgt = await createScratchPgDatabase('finhub_bkf');
    for (const [url, seed, scale] of [[src.url, 'pg-source', 2], [tgt.url, 'pg-target', 0.3]] as const) {
      const db = await createDb({ databaseUrl: url });
      await migrateUp(db);
      await seedDemo(db, { seed, scale, years: 2 });
      await db.close();
    }
  });
  afterAll(async () => {
    await src?.drop();
    await tgt?.drop();
    e?.cleanup();
  });

  it('kill -9 during a restore into PostgreSQL leaves the target untouched', async () => {
    const env = baseEnv({ ...e.env, DATABASE_URL: src.url });
    const made = await cli(['backup', 'create'], env);
    expect(made.code, made.out).toBe(0);
    const id = /backup (\S+) created/.exec(made.out)![1]!;
    const target = await createDb({ databaseUrl: tgt.url });
    const before = digest(await tableFingerprints(target, { raw: true }));
    const run = runCli(['backup', 'restore', id, '--to', tgt.url, '--force'], env);
    await run.waitFor(/loading transactions/);
    await run.kill9();
    // PostgreSQL rolls the dead connection's transaction back (reads wait for its locks until then).
    const after = digest(await tableFingerprints(target, { raw: true }));
    expect(after).toBe(before);
    await target.close();
    const again = await cli(['backup', 'restore', id, '--to', tgt.url, '--force'], env);
    expect(again.code, again.out).toBe(0);
  });
});
