// vitest globalSetup: after the run, removes what test/helpers/db.ts kept for
// it (the PGlite dumps and the PostgreSQL template databases of this run).
import { rmSync } from 'node:fs';
import pg from 'pg';
import { templatePrefix, testCacheDir } from './run-cache.ts';

export default function setup(): () => Promise<void> {
  return async () => {
    const runId = process.env.FINHUB_TEST_RUN_ID;
    if (!runId) return;
    rmSync(testCacheDir(runId), { recursive: true, force: true });
    const url = process.env.FINHUB_TEST_POSTGRES_URL;
    if (!url) return;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [templatePrefix(runId)]);
      for (const r of rows) await client.query(`drop database if exists "${r.datname}" with (force)`);
    } catch {
      // The server went away: nothing to clean up that it still holds.
    } finally {
      await client.end().catch(() => {});
    }
  };
}
