// Scenarios for `promtool test rules` (written to ops/prometheus/tests/ by
// scripts/generate-ops.ts). The input series and the expected alerts, values
// and times are written here by hand, independently of the spec; only the
// expected annotation text is rendered from the spec with renderTemplate, which
// makes promtool prove that the watchdog renders alert text as Prometheus does.
// Each alert needs a case that fires and then clears, and a case where it stays
// quiet below its threshold (test/ops/slo-rules.unit.test.ts enforces it).
import { stringify } from 'yaml';
import { GENERATED_HEADER } from './generate.ts';
import type { Severity, SloSpec } from './spec.ts';
import { renderTemplate } from './templates.ts';

export interface Firing {
  severity: Severity;
  /** The alert's $value at that time (what the annotations show). */
  value: number;
  /** Labels the expression keeps (instance, job), besides the rule's own. */
  labels?: Record<string, string>;
}
export interface Check {
  at: string;
  alert: string;
  /** Exactly these alerts of that name fire at `at`; [] means none. */
  firing: Firing[];
}
export interface Scenario {
  name: string;
  interval?: string;
  series: [series: string, values: string][];
  checks: Check[];
}

const OK = (labels = '') => `finhub_http_request_duration_seconds_count{job="finhub",instance="a:8080",method="GET",route="/api/v1/ledgers",status_code="200"${labels}}`;
const ERR = `finhub_http_request_duration_seconds_count{job="finhub",instance="a:8080",method="GET",route="/api/v1/ledgers",status_code="500"}`;
const BUCKET = (le: string) => `finhub_http_request_duration_seconds_bucket{job="finhub",instance="a:8080",method="GET",route="/api/v1/ledgers",status_code="200",le="${le}"}`;
const A = { instance: 'a:8080' };
const none = (at: string, alert: string): Check => ({ at, alert, firing: [] });

const sloBurn: Scenario[] = [
  {
    name: 'AvailabilityBudgetBurnFast: 2% errors for an hour pages, then clears 5 minutes after the errors stop',
    series: [[OK(), '0+98x90'], [ERR, '0+2x60 120+0x30']],
    checks: [
      { at: '10m', alert: 'AvailabilityBudgetBurnFast', firing: [{ severity: 'critical', value: 0.02 }] },
      { at: '50m', alert: 'AvailabilityBudgetBurnFast', firing: [{ severity: 'critical', value: 0.02 }] },
      // The 1h window still shows ~1.7% errors; the 5m window has recovered.
      none('70m', 'AvailabilityBudgetBurnFast'),
    ],
  },
  {
    name: 'AvailabilityBudgetBurnSlow: 1% errors for two hours pages after 15m (too little for the fast burn), then clears',
    series: [[OK(), '0+99x180'], [ERR, '0+1x120 120+0x60']],
    checks: [
      none('10m', 'AvailabilityBudgetBurnSlow'),
      { at: '30m', alert: 'AvailabilityBudgetBurnSlow', firing: [{ severity: 'critical', value: 0.01 }] },
      none('30m', 'AvailabilityBudgetBurnFast'),
      none('90m', 'AvailabilityBudgetBurnFast'),
      none('155m', 'AvailabilityBudgetBurnSlow'),
    ],
  },
  {
    name: 'AvailabilityBudgetBurnTicket: 0.2% errors for 8 hours opens a ticket after 1h, then clears once the 6h window drops below 0.1%',
    series: [[OK(), '0+499x900'], [ERR, '0+1x480 480+0x420']],
    checks: [
      none('30m', 'AvailabilityBudgetBurnTicket'),
      { at: '2h', alert: 'AvailabilityBudgetBurnTicket', firing: [{ severity: 'warning', value: 0.002 }] },
      none('2h', 'AvailabilityBudgetBurnSlow'),
      none('12h', 'AvailabilityBudgetBurnTicket'),
    ],
  },
  {
    name: 'Availability within budget: 0.05% errors raise no burn-rate alert',
    series: [[OK(), '0+1999x300'], [ERR, '0+1x300']],
    checks: [none('2h', 'AvailabilityBudgetBurnTicket'), none('4h', 'AvailabilityBudgetBurnTicket'), none('4h', 'AvailabilityBudgetBurnSlow'), none('4h', 'AvailabilityBudgetBurnFast')],
  },
];

const http: Scenario[] = [
  {
    name: 'HighErrorRate: 3% errors fire the warning after 5m but not the critical; clears when errors stop',
    series: [[OK(), '0+97x60'], [ERR, '0+3x20 60+0x40']],
    checks: [
      none('3m', 'HighErrorRate'),
      { at: '10m', alert: 'HighErrorRate', firing: [{ severity: 'warning', value: 0.03 }] },
      none('30m', 'HighErrorRate'),
    ],
  },
  {
    name: 'HighErrorRate: 10% errors fire the critical after 2m and the warning after 5m; both clear',
    series: [[OK(), '0+90x45'], [ERR, '0+10x15 150+0x30']],
    checks: [
      { at: '4m', alert: 'HighErrorRate', firing: [{ severity: 'critical', value: 0.1 }] },
      { at: '8m', alert: 'HighErrorRate', firing: [{ severity: 'warning', value: 0.1 }, { severity: 'critical', value: 0.1 }] },
      none('25m', 'HighErrorRate'),
    ],
  },
  {
    name: 'HighErrorRate: 0.5% errors stay below both thresholds',
    series: [[OK(), '0+199x30'], [ERR, '0+1x30']],
    checks: [none('10m', 'HighErrorRate'), none('20m', 'HighErrorRate')],
  },
  {
    // 100 requests a minute: 50 under 250 ms, 40 more under 500 ms, 10 under 1 s,
    // so p95 = 0.5 + (95 − 90) / (100 − 90) × 0.5 = 0.75 s. After 20m all are under 250 ms.
    name: 'HighResponseTime: p95 of 750 ms fires after 10m and clears when requests are fast again',
    series: [
      [BUCKET('0.25'), '0+50x20 1100+100x24'],
      [BUCKET('0.5'), '0+90x20 1900+100x24'],
      [BUCKET('1'), '0+100x44'],
      [BUCKET('+Inf'), '0+100x44'],
    ],
    checks: [none('5m', 'HighResponseTime'), { at: '15m', alert: 'HighResponseTime', firing: [{ severity: 'warning', value: 0.75 }] }, none('30m', 'HighResponseTime')],
  },
  {
    // p95 = 0.25 + (95 − 50) / 50 × 0.25 = 0.475 s, just under the objective.
    name: 'HighResponseTime: p95 of 475 ms does not fire',
    series: [
      [BUCKET('0.25'), '0+50x30'],
      [BUCKET('0.5'), '0+100x30'],
      [BUCKET('1'), '0+100x30'],
      [BUCKET('+Inf'), '0+100x30'],
    ],
    checks: [none('15m', 'HighResponseTime'), none('25m', 'HighResponseTime')],
  },
  {
    name: 'FinhubDown: a failed scrape for more than 2m fires per instance and clears when scrapes succeed',
    series: [
      ['up{job="finhub",instance="a:8080"}', '1x5 0x10 1x10'],
      ['up{job="other",instance="b:9100"}', '0x25'],
    ],
    checks: [
      none('7m', 'FinhubDown'),
      { at: '10m', alert: 'FinhubDown', firing: [{ severity: 'critical', value: 0, labels: { instance: 'a:8080', job: 'finhub' } }] },
      none('20m', 'FinhubDown'),
    ],
  },
  {
    name: 'FinhubDown: other jobs being down and healthy finhub scrapes do not fire',
    series: [
      ['up{job="finhub",instance="a:8080"}', '1x20'],
      ['up{job="other",instance="b:9100"}', '0x20'],
    ],
    checks: [none('10m', 'FinhubDown'), none('20m', 'FinhubDown')],
  },
];

const resources: Scenario[] = [
  {
    name: 'DatabaseConnectionsHigh: 9 of 10 connections in use for 5m fires, 3 of 10 clears',
    series: [
      ['finhub_db_pool_connections{job="finhub",instance="a:8080",state="in_use"}', '2x5 9x15 3x20'],
      ['finhub_db_pool_connections{job="finhub",instance="a:8080",state="idle"}', '8x5 1x15 7x20'],
      ['finhub_db_pool_connections{job="finhub",instance="a:8080",state="max"}', '10x40'],
    ],
    checks: [none('8m', 'DatabaseConnectionsHigh'), { at: '15m', alert: 'DatabaseConnectionsHigh', firing: [{ severity: 'warning', value: 0.9, labels: A }] }, none('25m', 'DatabaseConnectionsHigh')],
  },
  {
    name: 'DatabaseConnectionsHigh: exactly 80% in use does not fire',
    series: [
      ['finhub_db_pool_connections{job="finhub",instance="a:8080",state="in_use"}', '8x30'],
      ['finhub_db_pool_connections{job="finhub",instance="a:8080",state="max"}', '10x30'],
    ],
    checks: [none('10m', 'DatabaseConnectionsHigh'), none('25m', 'DatabaseConnectionsHigh')],
  },
  {
    name: 'DiskSpaceLow: 85% used fires the warning after 10m but not the critical; clears when space is freed',
    series: [
      ['finhub_data_dir_filesystem_free_bytes{job="finhub",instance="a:8080"}', '500x5 150x30 500x20'],
      ['finhub_data_dir_filesystem_size_bytes{job="finhub",instance="a:8080"}', '1000x55'],
    ],
    checks: [none('10m', 'DiskSpaceLow'), { at: '20m', alert: 'DiskSpaceLow', firing: [{ severity: 'warning', value: 0.85, labels: A }] }, none('40m', 'DiskSpaceLow')],
  },
  {
    name: 'DiskSpaceLow: 97% used fires the critical after 5m and the warning after 10m; both clear',
    series: [
      ['finhub_data_dir_filesystem_free_bytes{job="finhub",instance="a:8080"}', '500x5 30x20 500x10'],
      ['finhub_data_dir_filesystem_size_bytes{job="finhub",instance="a:8080"}', '1000x35'],
    ],
    checks: [
      { at: '12m', alert: 'DiskSpaceLow', firing: [{ severity: 'critical', value: 0.97, labels: A }] },
      { at: '18m', alert: 'DiskSpaceLow', firing: [{ severity: 'warning', value: 0.97, labels: A }, { severity: 'critical', value: 0.97, labels: A }] },
      none('30m', 'DiskSpaceLow'),
    ],
  },
  {
    name: 'DiskSpaceLow: 75% used does not fire',
    series: [
      ['finhub_data_dir_filesystem_free_bytes{job="finhub",instance="a:8080"}', '250x30'],
      ['finhub_data_dir_filesystem_size_bytes{job="finhub",instance="a:8080"}', '1000x30'],
    ],
    checks: [none('15m', 'DiskSpaceLow'), none('25m', 'DiskSpaceLow')],
  },
  {
    name: 'MemoryHigh: 95% of the memory limit for 10m fires; clears when memory drops',
    series: [
      ['process_resident_memory_bytes{job="finhub",instance="a:8080"}', '500x5 950x20 500x10'],
      ['finhub_memory_limit_bytes{job="finhub",instance="a:8080"}', '1000x35'],
      // Another target's process memory has no finhub limit to divide by: ignored.
      ['process_resident_memory_bytes{job="prometheus",instance="p:9090"}', '990x35'],
    ],
    checks: [none('10m', 'MemoryHigh'), { at: '20m', alert: 'MemoryHigh', firing: [{ severity: 'warning', value: 0.95, labels: A }] }, none('30m', 'MemoryHigh')],
  },
  {
    name: 'MemoryHigh: 88% does not fire',
    series: [
      ['process_resident_memory_bytes{job="finhub",instance="a:8080"}', '880x30'],
      ['finhub_memory_limit_bytes{job="finhub",instance="a:8080"}', '1000x30'],
    ],
    checks: [none('15m', 'MemoryHigh'), none('25m', 'MemoryHigh')],
  },
];

const JOBS = (outcome: string) => `finhub_jobs_processed_total{job="finhub",instance="a:8080",outcome="${outcome}"}`;

const jobs: Scenario[] = [
  {
    name: 'JobFailures: one failure a minute exceeds 5 in 15m and fires after 5m; clears when failures stop',
    series: [[JOBS('succeeded'), '0+100x45'], [JOBS('failed'), '0+1x20 20x25'], [JOBS('dead'), '0x45']],
    checks: [none('4m', 'JobFailures'), none('8m', 'JobFailures'), { at: '18m', alert: 'JobFailures', firing: [{ severity: 'warning', value: 15 }] }, none('40m', 'JobFailures')],
  },
  {
    name: 'JobFailures: under 5 failures in 15 minutes (and many successes) do not fire',
    series: [[JOBS('succeeded'), '0+100x40'], [JOBS('failed'), '0+0.25x40'], [JOBS('dead'), '0x40']],
    checks: [none('20m', 'JobFailures'), none('35m', 'JobFailures')],
  },
  {
    name: 'JobsDeadLettered: dead jobs for 5m fire; clears once they are requeued',
    series: [['finhub_jobs_dead{job="finhub",instance="a:8080"}', '0x5 3x15 0x20']],
    checks: [none('8m', 'JobsDeadLettered'), { at: '15m', alert: 'JobsDeadLettered', firing: [{ severity: 'warning', value: 3 }] }, none('25m', 'JobsDeadLettered')],
  },
  {
    name: 'JobsDeadLettered: no dead jobs, no alert',
    series: [['finhub_jobs_dead{job="finhub",instance="a:8080"}', '0x30']],
    checks: [none('10m', 'JobsDeadLettered'), none('25m', 'JobsDeadLettered')],
  },
  {
    name: 'JobQueueLag: a job queued for 15 minutes fires after 5m; clears when the queue drains',
    series: [['finhub_jobs_oldest_queued_age_seconds{job="finhub",instance="a:8080"}', '0x5 900x15 30x20']],
    checks: [none('8m', 'JobQueueLag'), { at: '15m', alert: 'JobQueueLag', firing: [{ severity: 'warning', value: 900 }] }, none('25m', 'JobQueueLag')],
  },
  {
    name: 'JobQueueLag: jobs waiting under 10 minutes do not fire',
    series: [['finhub_jobs_oldest_queued_age_seconds{job="finhub",instance="a:8080"}', '500x30']],
    checks: [none('15m', 'JobQueueLag'), none('25m', 'JobQueueLag')],
  },
];

// Backup timestamps are Unix seconds; promtool's clock starts at 0, so a value
// of 0 is a backup taken when the test starts and N·3600 one taken N hours in.
// These scenarios span days, so samples and rule evaluations are 10 minutes apart
// (every evaluation lands on a sample; `for: 10m` is then exactly one step).
const LAST = 'finhub_backup_last_success_timestamp_seconds{job="finhub",instance="a:8080"}';
const VERIFIED = 'finhub_backup_last_verified_timestamp_seconds{job="finhub",instance="a:8080"}';
const OFFSITE = (target: string) => `finhub_backup_offsite_last_success_timestamp_seconds{job="finhub",instance="a:8080",target="${target}"}`;

const backups: Scenario[] = [
  {
    name: 'BackupTooOld: no backup for more than 26h fires the warning after 10m; a new backup at 27h10m clears it',
    interval: '10m',
    series: [[LAST, '0x162 97200x20']],
    checks: [
      none('26h10m', 'BackupTooOld'),
      { at: '26h30m', alert: 'BackupTooOld', firing: [{ severity: 'warning', value: 95_400 }] },
      none('27h30m', 'BackupTooOld'),
    ],
  },
  {
    name: 'BackupTooOld: no backup for more than 50h also fires the critical; a new backup at 51h10m clears both',
    interval: '10m',
    series: [[LAST, '0x306 183600x6']],
    checks: [
      { at: '50h30m', alert: 'BackupTooOld', firing: [{ severity: 'warning', value: 181_800 }, { severity: 'critical', value: 181_800 }] },
      none('51h30m', 'BackupTooOld'),
    ],
  },
  {
    name: 'BackupTooOld and BackupNotVerified: daily backups, each verified, never fire',
    interval: '10m',
    series: [
      [LAST, '0x143 86400x143 172800x20'],
      [VERIFIED, '0x143 86400x143 172800x20'],
    ],
    checks: [none('23h50m', 'BackupTooOld'), none('47h50m', 'BackupTooOld'), none('47h50m', 'BackupNotVerified'), none('50h', 'BackupNotVerified')],
  },
  {
    name: 'BackupNotVerified: no verified backup for more than 26h fires after 10m; a verification at 27h10m clears it',
    interval: '10m',
    series: [[VERIFIED, '0x162 97200x20']],
    checks: [none('26h10m', 'BackupNotVerified'), { at: '26h30m', alert: 'BackupNotVerified', firing: [{ severity: 'warning', value: 95_400 }] }, none('27h30m', 'BackupNotVerified')],
  },
  {
    name: 'BackupOffsiteDirStale and BackupOffsiteS3Stale: each target alerts on its own; a fresh copy in one does not hide a stale other',
    interval: '10m',
    series: [
      // offsite-dir gets a new copy every 6 h; s3 stops after the first and gets one again at 27h10m.
      [OFFSITE('offsite-dir'), '0x35 21600x36 43200x36 64800x36 86400x36 108000x20'],
      [OFFSITE('s3'), '0x162 97200x20'],
    ],
    checks: [
      none('26h10m', 'BackupOffsiteS3Stale'),
      { at: '26h30m', alert: 'BackupOffsiteS3Stale', firing: [{ severity: 'warning', value: 95_400 }] },
      none('26h30m', 'BackupOffsiteDirStale'),
      none('27h30m', 'BackupOffsiteS3Stale'),
    ],
  },
  {
    name: 'BackupOffsiteDirStale: no copy in the offsite directory for more than 26h fires after 10m; a new copy clears it',
    interval: '10m',
    series: [
      [OFFSITE('offsite-dir'), '0x162 97200x20'],
      // s3 receives a copy every day: it never fires.
      [OFFSITE('s3'), '0x143 86400x40'],
    ],
    checks: [
      none('26h10m', 'BackupOffsiteDirStale'),
      { at: '26h30m', alert: 'BackupOffsiteDirStale', firing: [{ severity: 'warning', value: 95_400 }] },
      none('27h30m', 'BackupOffsiteDirStale'),
      none('26h30m', 'BackupOffsiteS3Stale'),
      none('30h', 'BackupOffsiteS3Stale'),
    ],
  },
];

export interface RuleTestFile {
  file: string;
  /** promtool's rule evaluation interval for the whole file (default 1m). */
  evaluationInterval?: string;
  scenarios: Scenario[];
}

export const RULE_TEST_FILES: readonly RuleTestFile[] = [
  { file: 'slo-burn-rate.test.yml', scenarios: sloBurn },
  { file: 'http.test.yml', scenarios: http },
  { file: 'resources.test.yml', scenarios: resources },
  { file: 'jobs.test.yml', scenarios: jobs },
  { file: 'backups.test.yml', evaluationInterval: '10m', scenarios: backups },
];

/** One promtool test file; annotations are the spec's templates rendered with the expected value and labels. */
export function ruleTestYaml(spec: SloSpec, file: RuleTestFile): string {
  const tests = file.scenarios.map((s) => ({
    name: s.name,
    interval: s.interval ?? '1m',
    input_series: s.series.map(([series, values]) => ({ series, values })),
    alert_rule_test: s.checks.map((c) => ({
      eval_time: c.at,
      alertname: c.alert,
      exp_alerts: c.firing.map((f) => {
        const a = spec.alerts.find((x) => x.name === c.alert && x.severity === f.severity);
        if (!a) throw new Error(`rule test "${s.name}": no alert ${c.alert} with severity ${f.severity} in the spec`);
        const labels = f.labels ?? {};
        return {
          exp_labels: { ...labels, severity: a.severity, incident_severity: a.incidentSeverity, service: spec.service, ...(a.condition.kind === 'burn_rate' ? { slo: a.condition.slo } : {}), ...(a.components.length ? { component: a.components.join(',') } : {}) },
          exp_annotations: { summary: renderTemplate(a.summary, f.value, labels), description: renderTemplate(a.description, f.value, labels), runbook_url: a.runbookUrl },
        };
      }),
    })),
  }));
  const doc = { rule_files: ['../recording.rules.yml', '../alerts.rules.yml'], evaluation_interval: file.evaluationInterval ?? '1m', tests };
  return `# ${GENERATED_HEADER}\n# (scenarios: src/ops/slo/rule-tests.ts)\n${stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
