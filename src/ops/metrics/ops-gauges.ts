// Gauges computed on scrape for the alert rules (names fixed by ops/slo.yaml):
// job queue depth and lag, the data directory's file system, database size,
// memory limit. Each source is cached so a scrape stays cheap.
import { Gauge } from 'prom-client';
import type { Config } from '../../config/config.ts';
import type { Db } from '../../db/create-db.ts';
import { cached, queueStats } from '../health/queue-stats.ts';
import { databaseSizeBytes, diskUsage, memoryLimitBytes } from '../health/system.ts';
import type { Metrics } from './metrics.ts';

export function registerOpsGauges(metrics: Metrics, deps: { db: Db; config: Pick<Config, 'dataDir'> }): void {
  const registers = [metrics.registry];
  // A failing source leaves the gauge unset for this scrape: absent data, not a false zero.
  const quietly = async <T>(load: () => Promise<T>): Promise<T | undefined> => load().catch(() => undefined);

  const queue = cached(5_000, () => queueStats(deps.db.kysely));
  new Gauge({
    name: 'finhub_jobs_queued',
    help: 'Jobs waiting in the queue (due or scheduled for later), by queue.',
    labelNames: ['queue'] as const,
    registers,
    async collect() {
      const s = await quietly(queue);
      this.reset();
      if (!s) return;
      // Always expose the default queue so an empty queue reads 0 rather than no data.
      for (const [q, n] of Object.entries({ default: 0, ...s.queuedByQueue })) this.set({ queue: q }, n);
    },
  });
  new Gauge({ name: 'finhub_jobs_running', help: 'Jobs leased by a worker and running now (all processes).', registers, async collect() { const s = await quietly(queue); if (s) this.set(s.running); } });
  new Gauge({ name: 'finhub_jobs_oldest_queued_age_seconds', help: 'Seconds the longest-waiting due job has been runnable (0 when none waits).', registers, async collect() { const s = await quietly(queue); if (s) this.set(s.oldestQueuedAgeSeconds); } });
  new Gauge({ name: 'finhub_jobs_dead', help: 'Dead-lettered jobs (attempts exhausted) waiting for an operator.', registers, async collect() { const s = await quietly(queue); if (s) this.set(s.dead); } });

  const disk = cached(10_000, () => diskUsage(deps.config.dataDir));
  new Gauge({ name: 'finhub_data_dir_filesystem_free_bytes', help: 'Bytes available to finhub on the file system holding the data directory.', registers, async collect() { const d = await quietly(disk); if (d) this.set(d.freeBytes); } });
  new Gauge({ name: 'finhub_data_dir_filesystem_size_bytes', help: 'Size in bytes of the file system holding the data directory.', registers, async collect() { const d = await quietly(disk); if (d) this.set(d.sizeBytes); } });

  const dbSize = cached(60_000, () => databaseSizeBytes(deps.db));
  new Gauge({ name: 'finhub_database_size_bytes', help: 'Database size in bytes (pg_database_size; embedded: its data directory on disk).', registers, async collect() { const n = await quietly(dbSize); if (n !== undefined) this.set(n); } });

  const limit = memoryLimitBytes();
  new Gauge({ name: 'finhub_memory_limit_bytes', help: 'Memory available to the process: the cgroup limit when one is set, else the host total.', registers, collect() { this.set(limit); } });
}
