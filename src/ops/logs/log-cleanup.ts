// Removes rotated log files beyond the configured count (the rotating stream
// does this on each rotation; this catches files left after the limit was
// lowered or by a process that stopped before its next rotation).
import { rm } from 'node:fs/promises';
import { listLogFiles } from './log-files.ts';

export async function cleanupRotatedLogs(file: string, keep: number): Promise<{ removed: string[]; kept: number }> {
  const rotated = (await listLogFiles(file)).filter((f) => f.endedAt);
  const excess = rotated.slice(0, Math.max(0, rotated.length - keep));
  const removed: string[] = [];
  for (const f of excess) {
    await rm(f.path, { force: true });
    removed.push(f.path);
  }
  return { removed, kept: rotated.length - removed.length };
}
