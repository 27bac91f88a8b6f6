// What the five Grafana dashboards show. Metric names are the ones finhub
// exposes (see docs/architecture.md and the recording rules); a test checks
// every expression against finhub's /metrics so a typo fails CI.
import type { DashboardSpec } from './grafana.ts';

const R = '$__rate_interval';
const HTTP = 'finhub_http_request_duration_seconds';

const overview: DashboardSpec = {
  uid: 'finhub-overview',
  title: 'finhub / Overview',
  description: 'SLOs, error budget, traffic, errors, latency and resource headroom at a glance',
  panels: [
    { title: 'Availability (30 days)', kind: 'stat', unit: 'percentunit', queries: [{ expr: '1 - finhub:slo_error_ratio:rate30d{slo="availability"}' }], thresholds: [[0, 'red'], [0.999, 'green']] },
    { title: 'Availability error budget left', kind: 'stat', unit: 'percentunit', queries: [{ expr: 'finhub:slo_error_budget_remaining:ratio30d{slo="availability"}' }], thresholds: [[0, 'red'], [0.25, 'orange'], [0.5, 'green']] },
    { title: 'Requests within 500 ms (30 days)', kind: 'stat', unit: 'percentunit', queries: [{ expr: '1 - finhub:slo_error_ratio:rate30d{slo="latency"}' }], thresholds: [[0, 'red'], [0.95, 'green']] },
    { title: 'Firing alerts', kind: 'stat', unit: 'short', queries: [{ expr: 'count(ALERTS{service="finhub", alertstate="firing"}) or vector(0)' }], thresholds: [[1, 'red']] },
    { title: 'Request rate', kind: 'timeseries', unit: 'reqps', queries: [{ expr: `sum by (status_code) (rate(${HTTP}_count[${R}]))`, legend: '{{status_code}}' }] },
    {
      title: 'Error ratio (5xx) and burn-rate windows',
      kind: 'timeseries',
      unit: 'percentunit',
      queries: [
        { expr: 'finhub:slo_error_ratio:rate5m{slo="availability"}', legend: '5m' },
        { expr: 'finhub:slo_error_ratio:rate1h{slo="availability"}', legend: '1h' },
        { expr: 'finhub:slo_error_ratio:rate6h{slo="availability"}', legend: '6h' },
      ],
    },
    { title: 'API latency p95', kind: 'timeseries', unit: 's', queries: [{ expr: `histogram_quantile(0.95, sum by (le) (rate(${HTTP}_bucket[${R}])))`, legend: 'p95' }, { expr: `histogram_quantile(0.5, sum by (le) (rate(${HTTP}_bucket[${R}])))`, legend: 'p50' }] },
    {
      title: 'Resource headroom',
      kind: 'timeseries',
      unit: 'percentunit',
      queries: [
        { expr: '1 - finhub_data_dir_filesystem_free_bytes / finhub_data_dir_filesystem_size_bytes', legend: 'disk used {{instance}}' },
        { expr: 'process_resident_memory_bytes / on (instance) finhub_memory_limit_bytes', legend: 'memory {{instance}}' },
        { expr: 'sum by (instance) (finhub_db_pool_connections{state="in_use"}) / sum by (instance) (finhub_db_pool_connections{state="max"})', legend: 'db pool {{instance}}' },
      ],
    },
    { title: 'Scrape up', kind: 'stat', unit: 'short', queries: [{ expr: 'min(up{job="finhub"})' }], thresholds: [[0, 'red'], [1, 'green']] },
    { title: 'Open incidents', kind: 'stat', unit: 'short', queries: [{ expr: 'sum(finhub_incidents_open)' }], thresholds: [[1, 'orange']] },
    { title: 'Maintenance mode', kind: 'stat', unit: 'short', queries: [{ expr: 'max(finhub_maintenance_mode)' }], thresholds: [[1, 'blue']] },
    { title: 'Uptime', kind: 'stat', unit: 's', queries: [{ expr: 'time() - max(process_start_time_seconds{job="finhub"})' }] },
  ],
};

const api: DashboardSpec = {
  uid: 'finhub-api',
  title: 'finhub / API',
  description: 'HTTP traffic, errors and latency by route, in-flight requests and authentication failures',
  panels: [
    { title: 'Requests by route', kind: 'timeseries', unit: 'reqps', queries: [{ expr: `sum by (method, route) (rate(${HTTP}_count[${R}]))`, legend: '{{method}} {{route}}' }] },
    { title: '5xx by route', kind: 'timeseries', unit: 'reqps', queries: [{ expr: `sum by (method, route) (rate(${HTTP}_count{status_code=~"5.."}[${R}]))`, legend: '{{method}} {{route}}' }] },
    { title: '4xx by route', kind: 'timeseries', unit: 'reqps', queries: [{ expr: `sum by (method, route) (rate(${HTTP}_count{status_code=~"4.."}[${R}]))`, legend: '{{method}} {{route}}' }] },
    { title: 'p95 latency by route', kind: 'timeseries', unit: 's', queries: [{ expr: `histogram_quantile(0.95, sum by (le, route) (rate(${HTTP}_bucket[${R}])))`, legend: '{{route}}' }] },
    { title: 'Requests in flight', kind: 'timeseries', unit: 'short', queries: [{ expr: 'sum by (instance) (finhub_http_requests_in_flight)', legend: '{{instance}}' }] },
    { title: 'Authentication failures', kind: 'timeseries', unit: 'short', queries: [{ expr: `sum by (kind) (increase(finhub_auth_failures_total[${R}]))`, legend: '{{kind}}' }] },
    { title: 'Mean response time', kind: 'timeseries', unit: 's', queries: [{ expr: `sum(rate(${HTTP}_sum[${R}])) / sum(rate(${HTTP}_count[${R}]))`, legend: 'mean' }] },
  ],
};

const database: DashboardSpec = {
  uid: 'finhub-database',
  title: 'finhub / Database',
  description: 'Connection pool, query latency and errors, database size',
  panels: [
    { title: 'Pool connections', kind: 'timeseries', unit: 'short', queries: [{ expr: 'sum by (state) (finhub_db_pool_connections)', legend: '{{state}}' }] },
    { title: 'Queries waiting for a connection', kind: 'timeseries', unit: 'short', queries: [{ expr: 'sum by (instance) (finhub_db_pool_waiting_requests)', legend: '{{instance}}' }] },
    { title: 'Query duration p95', kind: 'timeseries', unit: 's', queries: [{ expr: `histogram_quantile(0.95, sum by (le) (rate(finhub_db_query_duration_seconds_bucket[${R}])))`, legend: 'p95' }, { expr: `histogram_quantile(0.99, sum by (le) (rate(finhub_db_query_duration_seconds_bucket[${R}])))`, legend: 'p99' }] },
    { title: 'Queries by outcome', kind: 'timeseries', unit: 'ops', queries: [{ expr: `sum by (outcome) (rate(finhub_db_query_duration_seconds_count[${R}]))`, legend: '{{outcome}}' }] },
    { title: 'Database size', kind: 'timeseries', unit: 'bytes', queries: [{ expr: 'max(finhub_database_size_bytes)', legend: 'size' }] },
    { title: 'Data directory free space', kind: 'timeseries', unit: 'bytes', queries: [{ expr: 'finhub_data_dir_filesystem_free_bytes', legend: '{{instance}}' }] },
  ],
};

const jobs: DashboardSpec = {
  uid: 'finhub-jobs',
  title: 'finhub / Jobs',
  description: 'Background job throughput, failures, queue depth and lag, dead letters',
  panels: [
    { title: 'Jobs finished by outcome', kind: 'timeseries', unit: 'ops', queries: [{ expr: `sum by (outcome) (rate(finhub_jobs_processed_total[${R}]))`, legend: '{{outcome}}' }] },
    { title: 'Queued jobs by queue', kind: 'timeseries', unit: 'short', queries: [{ expr: 'sum by (queue) (finhub_jobs_queued)', legend: '{{queue}}' }] },
    { title: 'Running jobs', kind: 'timeseries', unit: 'short', queries: [{ expr: 'sum(finhub_jobs_running)', legend: 'running' }] },
    { title: 'Oldest queued job age', kind: 'timeseries', unit: 's', queries: [{ expr: 'max(finhub_jobs_oldest_queued_age_seconds)', legend: 'age' }] },
    { title: 'Dead letters', kind: 'stat', unit: 'short', queries: [{ expr: 'max(finhub_jobs_dead)' }], thresholds: [[1, 'orange']] },
    { title: 'Job duration p95', kind: 'timeseries', unit: 's', queries: [{ expr: `histogram_quantile(0.95, sum by (le) (rate(finhub_job_duration_seconds_bucket[${R}])))`, legend: 'p95' }] },
  ],
};

const business: DashboardSpec = {
  uid: 'finhub-business',
  title: 'finhub / Business',
  description: 'Users, ledgers, transactions, imports and backups',
  panels: [
    { title: 'Users', kind: 'stat', unit: 'short', queries: [{ expr: 'max(finhub_users)' }] },
    { title: 'Ledgers', kind: 'stat', unit: 'short', queries: [{ expr: 'max(finhub_ledgers)' }] },
    { title: 'Transactions', kind: 'stat', unit: 'short', queries: [{ expr: 'max(finhub_transactions)' }] },
    { title: 'Last successful backup', kind: 'stat', unit: 's', queries: [{ expr: 'time() - max(finhub_backup_last_success_timestamp_seconds)' }], thresholds: [[93600, 'orange'], [180000, 'red']] },
    { title: 'Growth', kind: 'timeseries', unit: 'short', queries: [{ expr: 'max(finhub_transactions)', legend: 'transactions' }, { expr: 'max(finhub_ledgers)', legend: 'ledgers' }, { expr: 'max(finhub_users)', legend: 'users' }] },
    { title: 'Imports by format and outcome', kind: 'timeseries', unit: 'short', queries: [{ expr: `sum by (format, outcome) (increase(finhub_imports_total[${R}]))`, legend: '{{format}} {{outcome}}' }] },
    { title: 'Imported rows by decision', kind: 'timeseries', unit: 'short', queries: [{ expr: `sum by (decision) (increase(finhub_import_rows_total[${R}]))`, legend: '{{decision}}' }] },
    { title: 'Backup size', kind: 'timeseries', unit: 'bytes', queries: [{ expr: 'max(finhub_backup_size_bytes)', legend: 'size' }] },
    { title: 'Backup age and verification age', kind: 'timeseries', unit: 's', queries: [{ expr: 'time() - max(finhub_backup_last_success_timestamp_seconds)', legend: 'since last backup' }, { expr: 'time() - max(finhub_backup_last_verified_timestamp_seconds)', legend: 'since last verified' }] },
  ],
};

export const DASHBOARDS: readonly { file: string; spec: DashboardSpec }[] = [
  { file: 'overview.json', spec: overview },
  { file: 'api.json', spec: api },
  { file: 'database.json', spec: database },
  { file: 'jobs.json', spec: jobs },
  { file: 'business.json', spec: business },
];
