// The throwaway database every bench group runs in: a PostgreSQL database created
// on the admin server, or a PGlite data directory; removed by the group's
// cleanups unless --keep.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type Cleanup = { label: string; fn: () => Promise<void> };

/** One statement on the admin connection (create / drop database). */
export async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** Creates database `name` next to adminUrl's and registers its drop; returns its connection URL. */
export async function createScratchDatabase(adminUrl: string, name: string, keep: boolean, cleanups: Cleanup[], log: (m: string) => void): Promise<string> {
  await adminQuery(adminUrl, `create database ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  log(`created PostgreSQL database ${name}`);
  cleanups.push({
    label: `drop database ${name}`,
    fn: async () => {
      if (keep) return log(`kept PostgreSQL database: ${u.toString()}`);
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
      log(`dropped PostgreSQL database ${name}`);
    },
  });
  return u.toString();
}

/** Creates a PGlite data directory under the system temp directory and registers its removal (unless keep). */
export function createScratchDataDir(prefix: string, keep: boolean, cleanups: Cleanup[], log: (m: string) => void): string {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  log(`PGlite data directory ${dir}`);
  cleanups.push({
    label: `remove ${dir}`,
    fn: async () => {
      if (keep) return log(`kept PGlite data directory: ${dir}`);
      rmSync(dir, { recursive: true, force: true });
      log(`removed ${dir}`);
    },
  });
  return dir;
}
