// Throwaway databases for verification and drills: a temporary PGlite
// directory (under TMPDIR), or, next to a PostgreSQL installation, a scratch
// database created on the same server with the configured credentials. When
// the role may not CREATE DATABASE, the embedded engine is used instead: the
// archive format is the same for both, so the check is just as real.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDb, type Db, type Engine } from '../db/create-db.ts';

export interface Scratch {
  db: Db;
  engine: Engine;
  /** For messages: "temporary embedded database /tmp/…" or "scratch database finhub_scratch_… on PostgreSQL". */
  describe: string;
  close(): Promise<void>;
}

export interface ScratchOptions {
  /** Create the scratch database on this PostgreSQL server; unset = embedded. */
  databaseUrl?: string | undefined;
  onNote?: (line: string) => void;
}

export async function openEmbeddedScratch(): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), 'finhub-scratch-'));
  try {
    const db = await createDb({ dataDir: dir });
    return {
      db,
      engine: 'pglite',
      describe: `temporary embedded database ${dir}`,
      close: async () => {
        await db.close().catch(() => {});
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function openScratch(opts: ScratchOptions = {}): Promise<Scratch> {
  if (!opts.databaseUrl) return openEmbeddedScratch();
  const name = `finhub_scratch_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  try {
    await adminQuery(opts.databaseUrl, `create database "${name}"`);
  } catch (e) {
    opts.onNote?.(`note: cannot create a scratch database on the PostgreSQL server (${(e as Error).message}); using a temporary embedded database instead`);
    return openEmbeddedScratch();
  }
  const u = new URL(opts.databaseUrl);
  u.pathname = `/${name}`;
  const drop = () => adminQuery(opts.databaseUrl!, `drop database if exists "${name}" with (force)`);
  try {
    const db = await createDb({ databaseUrl: u.toString(), poolSize: 3, applicationName: 'finhub-backup-scratch' });
    return {
      db,
      engine: 'postgres',
      describe: `scratch database ${name} on PostgreSQL`,
      close: async () => {
        await db.close().catch(() => {});
        await drop();
      },
    };
  } catch (e) {
    await drop().catch(() => {});
    throw e;
  }
}
