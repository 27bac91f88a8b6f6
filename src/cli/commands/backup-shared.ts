// Output and error handling shared by the `finhub backup …` commands.
import { BackupConfigError } from '../../backup/keys.ts';
import type { BackupListing } from '../../backup/backup.service.ts';
import type { VerifyLevel, VerifyReport } from '../../backup/verify.ts';
import { UsageError, type Io } from '../context.ts';

export function formatBytes(n: number | null): string {
  if (n === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

const when = (d: Date | null) => (d ? d.toISOString().replace(/\.\d+Z$/, 'Z') : '-');

export function listingLines(rows: BackupListing[]): string[] {
  const head = ['ID', 'SNAPSHOT (UTC)', 'SIZE', 'VERIFIED', 'WHERE', 'KIND', 'NOTE'];
  const table = rows.map((r) => [
    r.id,
    when(r.at),
    formatBytes(r.sizeBytes),
    r.verifiedLevel > 0 ? `L${r.verifiedLevel}` : '-',
    r.locations.join(',') || '-',
    `${r.kind ?? '-'}${r.ours ? '' : ' (other db)'}`,
    [r.status !== 'ok' ? `[${r.status.toUpperCase()}${r.detail ? `: ${r.detail}` : ''}]` : '', r.note ?? ''].filter(Boolean).join(' '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(head), ...table.map(fmt)];
}

export function listingJson(r: BackupListing) {
  return {
    id: r.id,
    snapshot_at: r.at?.toISOString() ?? null,
    kind: r.kind,
    note: r.note,
    size_bytes: r.sizeBytes,
    verified_level: r.verifiedLevel,
    locations: r.locations,
    status: r.status,
    detail: r.detail,
    engine: r.engine,
    migration: r.migration,
    installation_id: r.installationId,
    this_database: r.ours,
  };
}

export function parseLevel(raw: unknown, fallback: VerifyLevel): VerifyLevel {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (![1, 2, 3, 4].includes(n)) throw new UsageError('--level must be 1, 2, 3 or 4');
  return n as VerifyLevel;
}

export function reportLines(r: VerifyReport): string[] {
  const out: string[] = [];
  for (const s of r.steps) out.push(`  L${s.level} ${s.ok ? 'ok  ' : 'FAIL'} ${s.detail}`);
  if (r.ok) out.push(`backup ${r.id} verified at level ${r.levelReached} in ${r.seconds.toFixed(1)} s`);
  else {
    out.push(`backup ${r.id} FAILED verification at level ${r.levelReached + 1} (requested ${r.levelRequested}; passed ${r.levelReached ? `up to ${r.levelReached}` : 'none'}):`);
    for (const p of r.problems) out.push(`  - ${p}`);
  }
  return out;
}

export function reportJson(r: VerifyReport) {
  return {
    id: r.id,
    ok: r.ok,
    level_requested: r.levelRequested,
    level_reached: r.levelReached,
    problems: r.problems,
    steps: r.steps,
    scratch: r.scratch ?? null,
    restore_seconds: r.restore?.seconds ?? null,
    seconds: r.seconds,
  };
}

/** Runs a backup command body; a missing backup setup exits 78 (configuration) with how to fix it. */
export async function withBackupErrors(io: Io, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof BackupConfigError) {
      io.err(`error: ${e.message}`);
      return 78;
    }
    throw e;
  }
}
