// Prometheus metrics on a registry owned by the container (no global default
// registry, so tests can build many apps). Names follow Prometheus rules: base
// units, `_total` only on counters, bounded label values (route templates, not URLs).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

// prom-client's default collectors add gauges with a `_total` suffix, which
// `promtool check metrics` rejects; the same numbers stay available without it
// (nodejs_active_handles, nodejs_active_requests, nodejs_active_resources).
const NON_COUNTER_TOTALS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of NON_COUNTER_TOTALS) registry.removeSingleMetric(name);
  const httpDuration = new Histogram({
    name: 'finhub_http_request_duration_seconds',
    help: 'HTTP request duration in seconds by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // Writes refused with 503 while maintenance mode is on. They are planned and
  // announced on the status page, so they are counted here instead of in the
  // duration histogram that the error-rate SLO and alerts read.
  const maintenanceRefusals = new Counter({ name: 'finhub_http_maintenance_refusals_total', help: 'Write requests refused with 503 because maintenance mode is on (not counted in finhub_http_request_duration_seconds).', labelNames: ['method'] as const, registers: [registry] });
  const httpInFlight = new Gauge({ name: 'finhub_http_requests_in_flight', help: 'HTTP requests being handled now.', registers: [registry] });
  const dbQueryDuration = new Histogram({
    name: 'finhub_db_query_duration_seconds',
    help: 'Database query duration in seconds (outcome ok or error).',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  const authFailures = new Counter({ name: 'finhub_auth_failures_total', help: 'Requests rejected with 401, by kind: password (login) or credential (session cookie or token).', labelNames: ['kind'] as const, registers: [registry] });
  // `type` is the job name when this process has a handler for it, else "other": bounded by the handler registry.
  const jobEvents = new Counter({ name: 'finhub_jobs_processed_total', help: 'Jobs finished by outcome (succeeded, failed, dead) and job type.', labelNames: ['outcome', 'type'] as const, registers: [registry] });
  const jobDuration = new Histogram({ name: 'finhub_job_duration_seconds', help: 'Job run time in seconds by job type.', labelNames: ['type'] as const, buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 1800], registers: [registry] });
  const buildInfo = new Gauge({ name: 'finhub_build_info', help: 'Always 1; labels carry the version and database engine.', labelNames: ['version', 'engine'] as const, registers: [registry] });

  return { registry, httpDuration, httpInFlight, maintenanceRefusals, dbQueryDuration, authFailures, jobEvents, jobDuration, buildInfo };
}

export type Metrics = ReturnType<typeof createMetrics>;
