// One fresh, migrated database per call, on the engine this test project runs
// (FINHUB_TEST_ENGINE): in-memory PGlite, or a throwaway database created on the
// PostgreSQL server named by FINHUB_TEST_POSTGRES_URL and dropped afterwards.
//
// Creating a PGlite cluster (initdb in WebAssembly) and running the migrations
// cost seconds per database, so within one vitest run (FINHUB_TEST_RUN_ID, set
// by vitest.config.ts) they happen once: PGlite databases start from a dump of a
// new cluster, empty or migrated, kept in a per-run directory; PostgreSQL test
// databases are copies (CREATE DATABASE ... TEMPLATE) of a migrated template
// database. test/helpers/global-setup.ts removes both after the run.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { createDb, type Db, type Engine } from '../../src/db/create-db.ts';
import { migrateUp } from '../../src/db/migrator.ts';
import { templatePrefix, testCacheDir } from './run-cache.ts';

export const testEngine: Engine = process.env.FINHUB_TEST_ENGINE === 'postgres' ? 'postgres' : 'pglite';

export interface TestDb {
  db: Db;
  /** Connection string of the throwaway PostgreSQL database (postgres engine only). */
  url: string | undefined;
  cleanup(): Promise<void>;
}

export function adminUrl(): string {
  const url = process.env.FINHUB_TEST_POSTGRES_URL;
  if (!url) throw new Error('FINHUB_TEST_POSTGRES_URL is not set');
  return url;
}

/** Creates an empty PostgreSQL database (or a copy of `template`) and returns its URL and a drop function. */
export async function createScratchPgDatabase(prefix = 'finhub_t', template?: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = adminUrl();
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`create database "${name}"${template ? ` template "${template}"` : ''}`);
  } finally {
    await client.end();
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** The vitest run these databases belong to (see vitest.config.ts); undefined outside vitest. */
const RUN_ID = /^[a-z0-9]{1,20}$/.test(process.env.FINHUB_TEST_RUN_ID ?? '') ? process.env.FINHUB_TEST_RUN_ID : undefined;

let schemaKeyMemo: string | undefined;
/** Changes whenever a migration does (or PGlite, whose dump format it is). */
function schemaKey(): string {
  if (!schemaKeyMemo) {
    const h = createHash('sha256');
    const dir = new URL('../../src/db/migrations/', import.meta.url);
    for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(new URL(f, dir)));
    h.update(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url)));
    schemaKeyMemo = h.digest('hex').slice(0, 12);
  }
  return schemaKeyMemo;
}

const pgliteDumps = new Map<boolean, Promise<Blob>>();
/** A dump of a new PGlite cluster, migrated or not: built once per run, then read from the run's directory. */
function pgliteDump(migrated: boolean): Promise<Blob> {
  let p = pgliteDumps.get(migrated);
  if (!p) {
    p = (async () => {
      const file = join(testCacheDir(RUN_ID!), `pglite-${migrated ? 'migrated' : 'empty'}-${schemaKey()}.tar`);
      const cached = await readFile(file).catch(() => undefined);
      if (cached) return new Blob([cached]);
      const db = await createDb({});
      try {
        if (migrated) await migrateUp(db);
        const blob = await db.dumpDataDir!();
        mkdirSync(testCacheDir(RUN_ID!), { recursive: true });
        const part = `${file}.${process.pid}.partial`;
        writeFileSync(part, Buffer.from(await blob.arrayBuffer()));
        renameSync(part, file); // another worker may have built it too: same content
        return blob;
      } finally {
        await db.close();
      }
    })();
    pgliteDumps.set(migrated, p);
    p.catch(() => pgliteDumps.delete(migrated));
  }
  return p;
}

let pgTemplateMemo: Promise<string> | undefined;
/** This run's migrated PostgreSQL template database, built by the first test process that needs it. */
function pgTemplate(): Promise<string> {
  pgTemplateMemo ??= (async () => {
    const name = `${templatePrefix(RUN_ID!)}${schemaKey()}`;
    const client = new pg.Client({ connectionString: adminUrl() });
    await client.connect();
    try {
      // One builder at a time; the others wait, then find it.
      await client.query('select pg_advisory_lock(hashtext($1))', [name]);
      const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
      if (exists.rowCount === 0) {
        const building = `${name}_b`;
        await client.query(`drop database if exists "${building}" with (force)`);
        await client.query(`create database "${building}"`);
        const u = new URL(adminUrl());
        u.pathname = `/${building}`;
        const db = await createDb({ databaseUrl: u.toString(), poolSize: 1 });
        try {
          await migrateUp(db);
        } finally {
          await db.close();
        }
        // Renamed only when complete, so a crashed builder never leaves a half-migrated template.
        await client.query(`alter database "${building}" rename to "${name}"`);
      }
      return name;
    } finally {
      await client.query('select pg_advisory_unlock(hashtext($1))', [name]).catch(() => {});
      await client.end();
    }
  })();
  pgTemplateMemo.catch(() => {
    pgTemplateMemo = undefined;
  });
  return pgTemplateMemo;
}

export async function createTestDb(opts: { migrate?: boolean; poolSize?: number } = {}): Promise<TestDb> {
  const migrate = opts.migrate !== false;
  if (testEngine === 'postgres') {
    const template = migrate && RUN_ID ? await pgTemplate() : undefined;
    const scratch = await createScratchPgDatabase('finhub_t', template);
    const db = await createDb({ databaseUrl: scratch.url, poolSize: opts.poolSize ?? 5 });
    if (migrate && !template) await migrateUp(db);
    return {
      db,
      url: scratch.url,
      cleanup: async () => {
        await db.close();
        await scratch.drop();
      },
    };
  }
  if (RUN_ID) {
    const db = await createDb({ loadDataDir: await pgliteDump(migrate) });
    return { db, url: undefined, cleanup: () => db.close() };
  }
  const db = await createDb({});
  if (migrate) await migrateUp(db);
  return { db, url: undefined, cleanup: () => db.close() };
}
