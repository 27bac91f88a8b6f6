// One archive format for both engines: a backup of an embedded (PGlite)
// database restores into PostgreSQL and back, and every table's fingerprint
// survives the round trip unchanged. Runs in the PostgreSQL test project.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appStartsOn } from '../../src/backup/app-check.ts';
import { createBackup } from '../../src/backup/create.ts';
import type { Manifest } from '../../src/backup/format.ts';
import { restoreInto } from '../../src/backup/restore.ts';
import { openScratch } from '../../src/backup/scratch.ts';
import { LocalDirStore } from '../../src/backup/store.ts';
import { verifyBackup } from '../../src/backup/verify.ts';
import { createDb, type Db } from '../../src/db/create-db.ts';
import { migrateUp } from '../../src/db/migrator.ts';
import { adminUrl, createScratchPgDatabase, testEngine } from '../helpers/db.ts';
import { backupEnv, seedDemo, tableFingerprints, type BackupEnv } from './helpers.ts';

const fps = (m: Manifest) => Object.fromEntries(m.tables.map((t) => [t.name, `${t.rows}:${t.sha256}`]));

describe.runIf(testEngine === 'postgres')('cross-engine backups (PGlite <-> PostgreSQL)', { timeout: 400_000 }, () => {
  let e: BackupEnv;
  let store: LocalDirStore;
  let embedded: Db;
  let fromPglite: Manifest;
  let pg: Awaited<ReturnType<typeof createScratchPgDatabase>>;
  let pgDb: Db;
  const dirs: string[] = [];

  beforeAll(async () => {
    e = await backupEnv();
    store = new LocalDirStore(e.dir);
    embedded = await createDb({});
    await migrateUp(embedded);
    await seedDemo(embedded, { seed: 'cross', scale: 0.5 });
    fromPglite = (await createBackup({ db: embedded, store, recipients: [e.recipient], finhubVersion: 'test' })).manifest;
    pg = await createScratchPgDatabase('finhub_bkx');
    pgDb = await createDb({ databaseUrl: pg.url, poolSize: 3 });
  });
  afterAll(async () => {
    await embedded?.close();
    await pgDb?.close();
    await pg?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    e?.cleanup();
  });

  it('a PGlite backup restores into PostgreSQL with identical fingerprints and ledger invariants', async () => {
    expect(fromPglite.engine).toBe('pglite');
    const r = await restoreInto(pgDb, { store, id: fromPglite.id, manifest: fromPglite }, { identities: [e.identity], checkFingerprints: true });
    expect(r.fingerprintsChecked).toBe(true);
    expect(r.invariants).toEqual(fromPglite.invariants);
    expect(await tableFingerprints(pgDb)).toMatchObject(fps(fromPglite));
  });

  it('a backup of that PostgreSQL database has the same fingerprints, and restores back into PGlite', async () => {
    const fromPg = (await createBackup({ db: pgDb, store, recipients: [e.recipient], finhubVersion: 'test' })).manifest;
    expect(fromPg.engine).toBe('postgres');
    expect(fps(fromPg)).toEqual(fps(fromPglite));
    expect(fromPg.invariants).toEqual(fromPglite.invariants);
    expect(fromPg.source.installation_id).toBe(fromPglite.source.installation_id);

    const dir = mkdtempSync(join(tmpdir(), 'finhub-bkx-'));
    dirs.push(dir);
    const back = await createDb({ dataDir: dir });
    try {
      await restoreInto(back, { store, id: fromPg.id, manifest: fromPg }, { identities: [e.identity], checkFingerprints: true });
      expect(await tableFingerprints(back)).toMatchObject(fps(fromPglite));
    } finally {
      await back.close();
    }
  });

  it('verify L4 of the PGlite backup in a scratch database on PostgreSQL', async () => {
    const notes: string[] = [];
    const r = await verifyBackup(store, fromPglite.id, { level: 4, identities: [e.identity], openScratch: () => openScratch({ databaseUrl: adminUrl(), onNote: (n) => notes.push(n) }), appCheck: appStartsOn });
    expect(r.problems).toEqual([]);
    expect(r.levelReached).toBe(4);
    expect(r.scratch).toMatch(/^scratch database finhub_scratch_\S+ on PostgreSQL$/);
    expect(notes).toEqual([]);
  });
});
