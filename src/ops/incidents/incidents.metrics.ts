// Gauges for incidents and maintenance mode on the container's registry. Open
// incidents are counted at most every 10 s so a scrape stays cheap.
import { Gauge, type Registry } from 'prom-client';
import type { MaintenanceService } from '../maintenance/maintenance.service.ts';
import type { IncidentsService } from './incidents.service.ts';
import { SEVERITIES, type Severity } from './model.ts';

export function registerIncidentMetrics(registry: Registry, deps: { incidents: IncidentsService; maintenance: MaintenanceService }): void {
  const registers = [registry];
  let cached: { at: number; counts: Record<Severity, number> } | undefined;
  new Gauge({
    name: 'finhub_incidents_open',
    help: 'Incidents not yet resolved, by severity (P0-P3).',
    labelNames: ['severity'] as const,
    registers,
    async collect() {
      if (!cached || Date.now() - cached.at > 10_000) {
        try {
          cached = { at: Date.now(), counts: await deps.incidents.countOpenBySeverity() };
        } catch {
          // Keep the last counts; database trouble shows on /health/ready.
        }
      }
      for (const s of SEVERITIES) this.set({ severity: s }, cached?.counts[s] ?? 0);
    },
  });
  new Gauge({
    name: 'finhub_maintenance_mode',
    help: '1 while maintenance mode is on (writes are refused with 503), else 0.',
    registers,
    async collect() {
      this.set((await deps.maintenance.status()).on ? 1 : 0);
    },
  });
}
