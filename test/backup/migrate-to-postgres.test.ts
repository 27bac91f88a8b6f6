// Growing out of one machine, through the real `finhub` CLI: an embedded
// installation with a demo household moves to an empty PostgreSQL database
// with `finhub migrate-to-postgres` (backup, restore, level 4 against the
// target, new configuration printed), and back to an embedded data directory
// with the ordinary `backup create` + `backup restore --data-dir`. Every table's
// fingerprint is compared on each side. Runs in the PostgreSQL test project.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService } from '../../src/auth/auth.service.ts';
import { manifestFileName, parseManifest, type Manifest } from '../../src/backup/format.ts';
import { createDb, type Db } from '../../src/db/create-db.ts';
import { migrateUp, pendingMigrations } from '../../src/db/migrator.ts';
import { createScratchPgDatabase, testEngine } from '../helpers/db.ts';
import { baseEnv, cli } from './cli-process.ts';
import { backupEnv, seedDemo, tableFingerprints, type BackupEnv, type Seeded } from './helpers.ts';

const fromManifest = (m: Manifest) => Object.fromEntries(m.tables.map((t) => [t.name, `${t.rows}:${t.sha256}`]));

describe.runIf(testEngine === 'postgres')('migrate-to-postgres and back', { timeout: 600_000 }, () => {
  let e: BackupEnv;
  let data: string;
  let env: NodeJS.ProcessEnv;
  let seeded: Seeded;
  let pg: Awaited<ReturnType<typeof createScratchPgDatabase>>;
  let backupId = '';
  let manifest: Manifest;

  beforeAll(async () => {
    e = await backupEnv();
    data = join(e.root, 'data');
    const db = await createDb({ dataDir: data });
    await migrateUp(db);
    seeded = await seedDemo(db, { seed: 'grow', years: 2, scale: 0.3 });
    await db.close();
    // As an operator would have it: backups in the default place inside the data directory.
    const { FINHUB_BACKUP_DIR: _dir, ...keys } = e.env;
    env = baseEnv({ ...keys, FINHUB_DATA_DIR: data, FINHUB_WATCHDOG: 'false' });
    pg = await createScratchPgDatabase('finhub_m2p');
  });
  afterAll(async () => {
    await pg?.drop();
    e?.cleanup();
  });

  it('moves the embedded installation into an empty PostgreSQL database, verified at level 4, and prints the new configuration', async () => {
    const r = await cli(['migrate-to-postgres', pg.url], env);
    expect(r.code, r.out).toBe(0);
    backupId = /backup (\S+) \(\d+ tables, \d+ rows\) restored into/.exec(r.out)![1]!;
    expect(r.out).toContain('1/4 backing up the embedded database');
    expect(r.out).toMatch(/L3 ok\s+restored \d+ tables, \d+ rows into postgres:\/\/.*every row count and fingerprint, recomputed from the restored rows, matches/);
    expect(r.out).toMatch(/L4 ok\s+ledger invariants hold .* a ledger owner's API request lists 1 ledger/);
    expect(r.out).toContain(`DATABASE_URL=${pg.url}`);
    expect(r.out).toContain(`FINHUB_BACKUP_DIR=${join(data, 'backups')}`);
    expect(r.out).toMatch(/Rollback: unset DATABASE_URL, run `finhub maintenance off`/);
    manifest = parseManifest(readFileSync(join(data, 'backups', manifestFileName(backupId)), 'utf8'));
    expect(manifest.engine).toBe('pglite');
    expect(manifest.note).toBe(`before moving to PostgreSQL ${pg.url}`);

    const target = await createDb({ databaseUrl: pg.url, poolSize: 2 });
    const source = await createDb({ dataDir: data });
    try {
      // The target holds exactly what the backup holds, table by table.
      expect(await tableFingerprints(target)).toEqual(fromManifest(manifest));
      // ...and the ledger itself is identical to the embedded database's.
      const [t, s] = [await tableFingerprints(target), await tableFingerprints(source)];
      for (const name of ['users', 'ledgers', 'ledger_members', 'accounts', 'categories', 'payees', 'transactions']) expect(t[name], name).toBe(s[name]);
      expect(Number(t.transactions!.split(':')[0])).toBe(seeded.transactions);
      expect(await pendingMigrations(target)).toEqual([]);
      // The level 4 check left nothing behind; people log in with their old passwords.
      expect(await target.kysely.selectFrom('api_tokens').select('id').where('name', '=', 'backup-verify').execute()).toEqual([]);
      await expect(createAuthService({ db: target, sessionTtlHours: 1 }).login(seeded.email, seeded.password, null)).resolves.toBeTruthy();
      // The new installation knows its backups, the move's backup at level 4.
      const cat = await target.kysely.selectFrom('backups').select(['id', 'verified_level']).where('id', '=', backupId).executeTakeFirstOrThrow();
      expect(cat.verified_level).toBe(4);
      // The old embedded database refuses changes from now on; the marker explains why.
      const open = await source.kysely.selectFrom('maintenance_windows').select('message').where('ended_at', 'is', null).execute();
      expect(open).toHaveLength(1);
      expect(open[0]!.message).toMatch(/moved to PostgreSQL/);
      expect(readFileSync(join(data, 'MOVED-TO-POSTGRES.txt'), 'utf8')).toContain(`Backup: ${backupId}`);
    } finally {
      await source.close();
      await target.close();
    }

    // The printed configuration works: the CLI on PostgreSQL lists that backup as verified at level 4.
    const pgEnv = baseEnv({ ...e.env, FINHUB_BACKUP_DIR: join(data, 'backups'), DATABASE_URL: pg.url });
    const list = await cli(['backup', 'list', '--json'], pgEnv);
    expect(list.code, list.out).toBe(0);
    expect(JSON.parse(list.out.trim().split('\n').at(-1)!)).toEqual(expect.arrayContaining([expect.objectContaining({ id: backupId, verified_level: 4, locations: ['local'], this_database: true })]));
  });

  it('refuses a target that holds data, and an installation that already runs on PostgreSQL', async () => {
    const again = await cli(['migrate-to-postgres', pg.url], env);
    expect(again.code).toBe(3);
    expect(again.out).toMatch(/is not empty \(.*\); nothing was changed/);
    const onPg = await cli(['migrate-to-postgres', pg.url], baseEnv({ ...e.env, DATABASE_URL: pg.url }));
    expect(onPg.code).toBe(3);
    expect(onPg.out).toMatch(/already runs on PostgreSQL/);
    const bad = await cli(['migrate-to-postgres', 'mysql://x'], env);
    expect(bad.code).toBe(2);
  });

  it('refuses to run while the embedded server is running (the server must be stopped)', async () => {
    const other = mkdtempSync(join(e.root, 'running-'));
    const db = await createDb({ dataDir: other });
    await migrateUp(db);
    await db.close();
    const runEnv = { ...env, FINHUB_DATA_DIR: other, PORT: '0' };
    const server: ChildProcess = spawn(process.execPath, [fileURLToPath(new URL('../../bin/finhub.js', import.meta.url)), 'serve'], { env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 180_000);
        const on = (d: Buffer) => {
          out += d.toString();
          if (/finhub listening on/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        };
        server.stdout!.on('data', on);
        server.stderr!.on('data', on);
        server.once('exit', () => reject(new Error(`server exited:\n${out}`)));
      });
      const fresh = await createScratchPgDatabase('finhub_m2p_run');
      try {
        const r = await cli(['migrate-to-postgres', fresh.url], runEnv);
        expect(r.code).toBe(3);
        expect(r.out).toMatch(/refusing to move .* while the finhub server is running on it.*Stop finhub/);
        const t = await createDb({ databaseUrl: fresh.url, poolSize: 1 });
        try {
          const tables = await t.kysely.introspection.getTables();
          expect(tables).toEqual([]);
        } finally {
          await t.close();
        }
      } finally {
        await fresh.drop();
      }
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => (server.exitCode !== null ? r(null) : server.once('exit', r)));
    }
  });

  it('goes back from PostgreSQL to an embedded data directory with backup create + backup restore --data-dir', async () => {
    const pgEnv = baseEnv({ ...e.env, FINHUB_BACKUP_DIR: join(e.root, 'pg-backups'), DATABASE_URL: pg.url });
    const made = await cli(['backup', 'create', '--note', 'back to embedded', '--json'], pgEnv);
    expect(made.code, made.out).toBe(0);
    const id = (JSON.parse(made.out.trim().split('\n').at(-1)!) as { id: string }).id;
    const back = join(e.root, 'embedded-again');
    const r = await cli(['backup', 'restore', id, '--data-dir', back], pgEnv);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(new RegExp(`restored backup ${id} into the embedded database in ${back}`));

    const target = await createDb({ databaseUrl: pg.url, poolSize: 2 });
    let embedded: Db | undefined;
    try {
      embedded = await createDb({ dataDir: back });
      // Every table, byte for byte in the backup encoding, equal on both engines.
      expect(await tableFingerprints(embedded)).toEqual(await tableFingerprints(target));
      await expect(createAuthService({ db: embedded, sessionTtlHours: 1 }).login(seeded.email, seeded.password, null)).resolves.toBeTruthy();
    } finally {
      await embedded?.close();
      await target.close();
      rmSync(back, { recursive: true, force: true });
    }
  });
});
