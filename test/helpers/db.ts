// One fresh, migrated database per call, on the engine this test project runs
// (FINHUB_TEST_ENGINE): in-memory PGlite, or a throwaway database created on the
// PostgreSQL server named by FINHUB_TEST_POSTGRES_URL and dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db, type Engine } from '../../src/db/create-db.ts';
import { migrateUp } from '../../src/db/migrator.ts';

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

/** Creates an empty PostgreSQL database and returns its URL and a drop function. */
export async function createScratchPgDatabase(prefix = 'finhub_t'): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = adminUrl();
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`create database "${name}"`);
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

export async function createTestDb(opts: { migrate?: boolean; poolSize?: number } = {}): Promise<TestDb> {
  if (testEngine === 'postgres') {
    const scratch = await createScratchPgDatabase();
    const db = await createDb({ databaseUrl: scratch.url, poolSize: opts.poolSize ?? 5 });
    if (opts.migrate !== false) await migrateUp(db);
    return {
      db,
      url: scratch.url,
      cleanup: async () => {
        await db.close();
        await scratch.drop();
      },
    };
  }
  const db = await createDb({});
  if (opts.migrate !== false) await migrateUp(db);
  return { db, url: undefined, cleanup: () => db.close() };
}
