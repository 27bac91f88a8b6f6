// Where the server's log file lives and how its rotated, compressed siblings
// are named <file>.<UTC time of rotation, ms>-<n>.gz (n counts rotations of
// this process), so names sort in time order and `finhub logs search` can skip
// files that ended before --since.
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Config } from '../../config/config.ts';

export function logFilePath(config: Pick<Config, 'logFile' | 'dataDir'>): string | undefined {
  if (config.logFile === 'off') return undefined;
  if (config.logFile === 'on') return join(config.dataDir, 'logs', 'finhub.log');
  return config.logFile;
}

/** 2026-11-24T10:15:00.123Z -> 20261124T101500.123Z */
export function stamp(time: Date): string {
  return time.toISOString().replace(/[-:]/g, '');
}

/** Name of a rotated (gzip-compressed) file. */
export function rotatedName(base: string, time: Date, index: number): string {
  return `${base}.${stamp(time)}-${index}.gz`;
}

export interface LogFile {
  path: string;
  /** Rotated files: when the file was closed (its newest line is no later). Current file: undefined. */
  endedAt: Date | undefined;
  index: number;
  sizeBytes: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The current log file and its rotated siblings, oldest first (current last). */
export async function listLogFiles(file: string): Promise<LogFile[]> {
  const dir = dirname(file);
  const base = basename(file);
  const pattern = new RegExp(`^${escape(base)}\\.(\\d{8}T\\d{6}\\.\\d{3}Z)-(\\d+)\\.gz$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: LogFile[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const s = m[1]!;
    const endedAt = new Date(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13)}`);
    const size = await stat(join(dir, name)).then((x) => x.size, () => -1);
    if (size >= 0) out.push({ path: join(dir, name), endedAt, index: Number(m[2]), sizeBytes: size });
  }
  out.sort((a, b) => a.endedAt!.getTime() - b.endedAt!.getTime() || a.index - b.index);
  const current = await stat(file).then((x) => x.size, () => -1);
  if (current >= 0) out.push({ path: file, endedAt: undefined, index: 0, sizeBytes: current });
  return out;
}
