// Host facts for health checks and gauges: the file system holding the data
// directory, the size of the embedded database on disk, the memory limit.
import { existsSync, readFileSync } from 'node:fs';
import { readdir, lstat, statfs } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { sql } from 'kysely';
import type { Db } from '../../db/create-db.ts';

export interface DiskUsage {
  /** The directory actually measured (the data directory or its nearest existing parent). */
  path: string;
  sizeBytes: number;
  freeBytes: number;
  /** Share of the file system in use, 0-100, as df computes it (free = space available to this user). */
  usedPercent: number;
}

/** statfs of the data directory; before it exists, of its nearest existing parent. */
export async function diskUsage(dir: string): Promise<DiskUsage> {
  let path = dir;
  while (!existsSync(path) && dirname(path) !== path) path = dirname(path);
  const s = await statfs(path);
  const sizeBytes = s.blocks * s.bsize;
  const freeBytes = s.bavail * s.bsize;
  const used = (s.blocks - s.bfree) * s.bsize;
  // df's Use%: used / (used + available to unprivileged users).
  const usedPercent = used + freeBytes > 0 ? (used / (used + freeBytes)) * 100 : 0;
  return { path, sizeBytes, freeBytes, usedPercent };
}

/** Entries of the data directory that are finhub's, not PGlite's. */
const NOT_DATABASE = new Set(['logs', 'backups', 'finhub.lock', 'finhub.sock']);

/** Bytes of regular files under dir (symlinks not followed), skipping top-level entries in `skip`. */
export async function directorySize(dir: string, skip: Set<string> = new Set()): Promise<number> {
  let total = 0;
  const walk = async (d: string, top: boolean): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return; // removed while we walked
    }
    for (const e of entries) {
      if (top && skip.has(e.name)) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p, false);
      else if (e.isFile()) total += (await lstat(p).catch(() => ({ size: 0 }))).size;
    }
  };
  await walk(dir, true);
  return total;
}

/**
 * Size of the database: pg_database_size on PostgreSQL; for an embedded
 * database on disk, its data directory (WAL included, finhub's own files not),
 * since that is what fills the disk; in memory, pg_database_size.
 */
export async function databaseSizeBytes(db: Db): Promise<number> {
  if (db.engine === 'pglite' && db.dataDir) return directorySize(db.dataDir, NOT_DATABASE);
  const r = await sql<{ size: bigint | string }>`select pg_database_size(current_database()) as size`.execute(db.kysely);
  return Number(r.rows[0]!.size);
}

/** cgroup v2 memory.max, cgroup v1 limit_in_bytes, else the host's total memory. */
export function memoryLimitBytes(readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): number {
  const host = totalmem();
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const raw = readFile(file).trim();
      if (!/^\d+$/.test(raw)) continue; // "max" = unlimited
      const n = Number(raw);
      // v1 reports "unlimited" as a huge page-rounded number.
      if (n > 0 && n < host) return n;
    } catch {
      // Not in a cgroup with a limit.
    }
  }
  return host;
}
