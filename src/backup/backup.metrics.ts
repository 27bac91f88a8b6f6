// Backup metrics on the container's registry. The gauges are read from the
// catalogue (shared by every process on PostgreSQL), at most every 15 s, so
// every server reports the same state whoever made the backup. A timestamp of
// 0 means "never" (an alert on time() - x fires, as it should).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BackupStatus } from './status.ts';

export type BackupOperation = 'create' | 'verify' | 'restore' | 'drill' | 'prune';

export interface BackupMetrics {
  operations: Counter<'operation' | 'outcome'>;
  /** Forget the cached status (call after changing the catalogue). */
  invalidate(): void;
}

const CACHE_MS = 15_000;

export function registerBackupMetrics(registry: Registry, readStatus: () => Promise<BackupStatus>): BackupMetrics {
  const registers = [registry];
  let cached: { at: number; status: BackupStatus } | undefined;
  let pending: Promise<void> | undefined;
  const refresh = async () => {
    if (cached && Date.now() - cached.at < CACHE_MS) return;
    pending ??= (async () => {
      try {
        cached = { at: Date.now(), status: await readStatus() };
      } catch {
        // Keep the last values; database trouble shows up in /health/ready.
      } finally {
        pending = undefined;
      }
    })();
    await pending;
  };
  const seconds = (d: Date | null) => (d ? d.getTime() / 1000 : 0);
  const gauges: [string, string, (s: BackupStatus) => number][] = [
    ['finhub_backup_last_success_timestamp_seconds', 'Snapshot time of the newest successful backup (Unix seconds; 0 = none).', (s) => seconds(s.lastSuccessAt)],
    ['finhub_backup_last_verified_timestamp_seconds', 'Snapshot time of the newest backup verified at level 3 or higher (restored and compared; 0 = none).', (s) => seconds(s.lastVerifiedAt)],
    ['finhub_backup_size_bytes', 'Archive size of the newest successful backup.', (s) => s.lastSizeBytes ?? 0],
    ['finhub_backup_duration_seconds', 'How long the newest successful backup took to create.', (s) => s.lastDurationSeconds ?? 0],
    ['finhub_backups', 'Successful backups recorded in the catalogue.', (s) => s.count],
    ['finhub_restore_drill_duration_seconds', 'Restore duration (measured RTO) of the newest successful restore drill.', (s) => s.lastDrillSeconds ?? 0],
    ['finhub_restore_drill_last_timestamp_seconds', 'When the newest successful restore drill finished (Unix seconds; 0 = none).', (s) => seconds(s.lastDrillAt)],
  ];
  for (const [name, help, pick] of gauges) {
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        await refresh();
        if (cached) this.set(pick(cached.status));
      },
    });
  }
  const operations = new Counter({
    name: 'finhub_backup_operations_total',
    help: 'Backup operations run by this process, by operation (create, verify, restore, drill, prune) and outcome (success, failure).',
    labelNames: ['operation', 'outcome'] as const,
    registers,
  });
  return { operations, invalidate: () => (cached = undefined) };
}
