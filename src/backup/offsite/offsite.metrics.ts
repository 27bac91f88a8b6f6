// Offsite copy metrics on the container's registry. The "newest copy" gauge
// comes from the catalogue (shared by every process on PostgreSQL), read at
// most every 15 s; target label values are the configured target names only.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface OffsiteMetrics {
  copies: Counter<'target' | 'direction' | 'outcome'>;
  invalidate(): void;
}

const CACHE_MS = 15_000;

export function registerOffsiteMetrics(registry: Registry, targets: readonly string[], readNewest: () => Promise<Map<string, Date>>): OffsiteMetrics {
  const registers = [registry];
  let cached: { at: number; newest: Map<string, Date> } | undefined;
  new Gauge({
    name: 'finhub_backup_offsite_last_success_timestamp_seconds',
    help: 'Per offsite target: snapshot time of the newest backup copied there (Unix seconds; 0 = none). time() minus this is the offsite RPO.',
    labelNames: ['target'] as const,
    registers,
    async collect() {
      if (!cached || Date.now() - cached.at > CACHE_MS) {
        try {
          cached = { at: Date.now(), newest: await readNewest() };
        } catch {
          // Keep the last values; database trouble shows up in /health/ready.
        }
      }
      for (const t of targets) this.set({ target: t }, (cached?.newest.get(t)?.getTime() ?? 0) / 1000);
    },
  });
  const copies = new Counter({
    name: 'finhub_backup_offsite_copies_total',
    help: 'Backup copies between the backup directory and an offsite target by this process, by target, direction (push, pull) and outcome (success, failure).',
    labelNames: ['target', 'direction', 'outcome'] as const,
    registers,
  });
  for (const t of targets) for (const d of ['push', 'pull']) for (const o of ['success', 'failure']) copies.inc({ target: t, direction: d, outcome: o }, 0);
  return {
    copies,
    invalidate: () => {
      cached = undefined;
    },
  };
}
