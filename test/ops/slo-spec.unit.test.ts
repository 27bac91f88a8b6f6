// ops/slo.yaml loads into the typed spec the generator and the watchdog share,
// and a broken spec is refused with a message naming the field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/ops/slo/duration.ts';
import { DEFAULT_SLO_SPEC_PATH, loadSloSpec, parseSloSpec, SloSpecError } from '../../src/ops/slo/spec.ts';
import { g4, renderTemplate, templateProblem } from '../../src/ops/slo/templates.ts';

const TEXT = readFileSync(DEFAULT_SLO_SPEC_PATH, 'utf8');

/** The committed spec with `from` replaced by `to` (exactly once). */
function mutate(from: string, to: string): string {
  const i = TEXT.indexOf(from);
  if (i < 0 || TEXT.indexOf(from, i + 1) >= 0) throw new Error(`"${from}" must occur exactly once in ops/slo.yaml`);
  return TEXT.slice(0, i) + to + TEXT.slice(i + from.length);
}

function problemsOf(text: string): string[] {
  try {
    parseSloSpec(text, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(SloSpecError);
    return (e as SloSpecError).problems;
  }
  throw new Error('the spec was accepted');
}

describe('ops/slo.yaml', () => {
  const spec = loadSloSpec();

  it('defines the availability and latency SLOs', () => {
    const availability = spec.slos.find((s) => s.name === 'availability');
    expect(availability).toMatchObject({ objective: 0.999, window: { text: '30d', seconds: 30 * 86_400 } });
    expect(availability?.sli).toEqual({
      kind: 'errors',
      selector: { metric: 'finhub_http_request_duration_seconds_count', labels: [{ name: 'status_code', op: '=~', value: '5..' }] },
      total: { metric: 'finhub_http_request_duration_seconds_count', labels: [] },
    });
    expect(spec.slos.find((s) => s.name === 'latency')?.sli.kind).toBe('good');
  });

  it('has the multi-window multi-burn-rate alerts of the availability SLO', () => {
    const burn = spec.alerts.filter((a) => a.condition.kind === 'burn_rate').map((a) => {
      if (a.condition.kind !== 'burn_rate') throw new Error('unreachable');
      return [a.name, a.severity, a.condition.factor, a.condition.longWindow.text, a.condition.shortWindow.text, a.condition.threshold];
    });
    expect(burn).toEqual([
      ['AvailabilityBudgetBurnFast', 'critical', 14.4, '1h', '5m', 0.0144],
      ['AvailabilityBudgetBurnSlow', 'critical', 6, '6h', '30m', 0.006],
      ['AvailabilityBudgetBurnTicket', 'warning', 1, '3d', '6h', 0.001],
    ]);
  });

  it('has every named alert the issue asks for, each with a severity, incident severity and runbook link', () => {
    const names = new Set(spec.alerts.map((a) => a.name));
    for (const n of ['HighErrorRate', 'HighResponseTime', 'DatabaseConnectionsHigh', 'JobFailures', 'BackupTooOld', 'DiskSpaceLow', 'MemoryHigh', 'JobQueueLag']) expect(names).toContain(n);
    for (const a of spec.alerts) {
      expect(a.key).toBe(`${a.name}:${a.severity}`);
      expect(['P0', 'P1', 'P2', 'P3']).toContain(a.incidentSeverity);
      expect(a.runbookUrl).toMatch(/^docs\/runbook\.md#[a-z0-9-]+$/);
      expect(a.expr.length).toBeGreaterThan(0);
      expect(a.components.length, a.key).toBeGreaterThan(0);
    }
    expect(spec.alerts.find((a) => a.key === 'BackupTooOld:critical')?.components).toEqual(['backups']);
  });

  it('gives machine-readable conditions in base units', () => {
    const find = (key: string) => spec.alerts.find((a) => a.key === key)?.condition;
    expect(find('HighErrorRate:warning')).toMatchObject({ kind: 'rate_ratio', window: { seconds: 300 }, comparator: '>', threshold: 0.01 });
    expect(find('HighErrorRate:critical')).toMatchObject({ threshold: 0.05 });
    expect(find('HighResponseTime:warning')).toMatchObject({ kind: 'quantile', histogram: 'finhub_http_request_duration_seconds', quantile: 0.95, threshold: 0.5 });
    expect(find('BackupTooOld:warning')).toMatchObject({ kind: 'age', threshold: 26 * 3600 });
    expect(find('DiskSpaceLow:critical')).toMatchObject({ kind: 'gauge_ratio', oneMinus: true, threshold: 0.95, by: ['instance'] });
    expect(find('JobFailures:warning')).toMatchObject({ kind: 'increase', selector: { metric: 'finhub_jobs_processed_total', labels: [{ name: 'outcome', op: '=~', value: 'failed|dead' }] } });
    expect(find('JobQueueLag:warning')).toMatchObject({ kind: 'gauge', aggregate: 'max', threshold: 600 });
  });

  it('generates the PromQL from the condition', () => {
    const expr = (key: string) => spec.alerts.find((a) => a.key === key)?.expr;
    expect(expr('HighErrorRate:critical')).toBe(
      'sum(rate(finhub_http_request_duration_seconds_count{status_code=~"5.."}[5m])) / sum(rate(finhub_http_request_duration_seconds_count[5m])) > 0.05',
    );
    expect(expr('AvailabilityBudgetBurnFast:critical')).toBe(
      'finhub:slo_error_ratio:rate1h{slo="availability"} > 0.0144\nand\nfinhub:slo_error_ratio:rate5m{slo="availability"} > 0.0144',
    );
    expect(expr('BackupTooOld:warning')).toBe('time() - max(finhub_backup_last_success_timestamp_seconds) > 93600');
    expect(expr('FinhubDown:critical')).toBe('up{job="finhub"} == 0');
  });
});

describe('spec validation', () => {
  it.each([
    ['threshold: 0.05', 'threshold: "five"', /alerts\[\d+\] \(HighErrorRate\)\.condition\.threshold: must be a Prometheus duration/],
    ['incident_severity: P1\n    components: [api]\n    for: 2m\n    summary: More than 5%', 'incident_severity: P7\n    components: [api]\n    for: 2m\n    summary: More than 5%', /alerts\[\d+\] \(HighErrorRate\)\.incident_severity: must be one of P0, P1, P2, P3/],
    ['objective: 0.999', 'objective: 1.5', /slos\[0\] \(availability\)\.objective: 1\.5 is out of range/],
    ['for: 10m\n    summary: finhub API p95', 'for: ten minutes\n    summary: finhub API p95', /\(HighResponseTime\)\.for: must be a Prometheus duration/],
    ['comparator: ">"\n      threshold: 0.8\n\n  - name: DiskSpaceLow\n    severity: warning', 'comparator: "=="\n      threshold: 0.8\n\n  - name: DiskSpaceLow\n    severity: warning', /\(DatabaseConnectionsHigh\)\.condition\.comparator: must be one of/],
    ['kind: target_down', 'kind: target_gone', /\(FinhubDown\)\.condition\.kind: must be one of/],
    ['runbook: "#jobqueuelag"', 'runbook: "docs/runbook.md"', /\(JobQueueLag\)\.runbook: "docs\/runbook\.md" is not valid/],
    ['      long_window: 1h', '      long_window: 2h', /burn_rate_alerts\[0\] \(AvailabilityBudgetBurnFast\)\.long_window: 2h is not one of sli_windows/],
    ['{{ $value | humanizeDuration }} ago; the daily', '{{ $value | printf "%f" }} ago; the daily', /\(BackupTooOld\)\.description: unsupported template action/],
    ['metric: finhub_jobs_dead', 'metric: finhub-jobs-dead', /\(JobsDeadLettered\)\.condition\.metric: "finhub-jobs-dead" is not valid/],
    ['window: 15m', 'window: 15m\n      aggregate: sum', /\(JobFailures\)\.condition\.aggregate: unknown field/],
    ['labels: { outcome: { regex: "failed|dead" } }', 'labels: { outcome: { regex: "failed|(dead" } }', /\(JobFailures\)\.condition\.labels\.outcome\.regex: "failed\|\(dead" is not a valid regular expression/],
    ['- name: JobsDeadLettered\n    severity: warning', '- name: JobsDeadLettered\n    severity: page', /\(JobsDeadLettered\)\.severity: must be one of critical, warning/],
    ['components: [jobs]\n    for: 5m\n    summary: finhub has dead-lettered', 'components: [Jobs]\n    for: 5m\n    summary: finhub has dead-lettered', /\(JobsDeadLettered\)\.components\[0\]: "Jobs" is not valid/],
    ['labels: { state: in_use }', 'labels: [in_use]', /\(DatabaseConnectionsHigh\)\.condition\.numerator\.labels: must be a mapping/],
  ])('rejects %j changed to %j', (from, to, message) => {
    const problems = problemsOf(mutate(from, to));
    expect(problems.some((p) => message.test(p)), problems.join('\n')).toBe(true);
  });

  it('rejects the same alert name twice at one severity', () => {
    const problems = problemsOf(mutate('- name: HighErrorRate\n    severity: critical', '- name: HighErrorRate\n    severity: warning'));
    expect(problems.join('\n')).toMatch(/alert HighErrorRate with severity warning is defined twice/);
  });

  it('rejects unknown top-level fields, missing fields and YAML errors', () => {
    expect(problemsOf(`${TEXT}\nextra: 1\n`).join('\n')).toMatch(/^extra: unknown field/m);
    expect(problemsOf(TEXT.replace(/^job: finhub\n/m, '')).join('\n')).toMatch(/^job: is required$/m);
    expect(problemsOf('version: 1\nversion: 2\n').join('\n')).toMatch(/YAML/);
    expect(problemsOf('- just a list').join('\n')).toMatch(/spec: must be a mapping/);
  });

  it('reports every problem at once', () => {
    const text = mutate('objective: 0.999', 'objective: 2').replace('threshold: 0.05', 'threshold: [1]');
    expect(problemsOf(text).length).toBeGreaterThanOrEqual(2);
  });

  it('names the file in the error message', () => {
    expect(() => loadSloSpec('/nonexistent/slo.yaml')).toThrow(/ENOENT/);
    expect(() => parseSloSpec('version: 2', 'my/slo.yaml')).toThrow(/^my\/slo\.yaml is not a valid SLO spec:\n {2}service: is required\n/);
    expect(() => parseSloSpec(TEXT.replace(/^version: 1$/m, 'version: 2'), 'my/slo.yaml')).toThrow(/^my\/slo\.yaml is not a valid SLO spec:\n {2}version: must be 1 \(got 2\)$/);
  });
});

describe('durations', () => {
  it('parses and formats Prometheus durations', () => {
    expect(parseDuration('1h30m')).toEqual({ text: '1h30m', seconds: 5400 });
    expect(parseDuration('500ms')?.seconds).toBe(0.5);
    expect(parseDuration('3d')?.seconds).toBe(259_200);
    for (const bad of ['', '5', 'm5', '1.5h', '0s', '5 m', '-1m']) expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(93_600)).toBe('1d2h');
    expect(formatDuration(0.25)).toBe('250ms');
  });
});

describe('alert text templates (rendered like Prometheus; the promtool tests compare them)', () => {
  it('renders values and labels', () => {
    expect(renderTemplate('{{ $value | humanizePercentage }} on {{ $labels.instance }}', 0.0312345, { instance: 'a:1' })).toBe('3.123% on a:1');
    expect(renderTemplate('{{ $value | humanizeDuration }}', 95_400)).toBe('1d 2h 30m 0s');
    expect(renderTemplate('{{ $value | humanizeDuration }}', 900)).toBe('15m 0s');
    expect(renderTemplate('{{ $value | humanizeDuration }}', 0.75)).toBe('750ms');
    expect(renderTemplate('{{ $value | humanizeDuration }}', 12.5)).toBe('12.5s');
    expect(renderTemplate('{{ $value | humanize }}', 1_234_567)).toBe('1.235M');
    expect(renderTemplate('{{ $value | humanize }}', 0.0025)).toBe('2.5m');
    expect(renderTemplate('{{ $value | humanize1024 }}', 1536)).toBe('1.5ki');
    expect(renderTemplate('{{$value}} and {{ $labels.missing }}.', 3)).toBe('3 and .');
  });

  it('formats like Go %.4g', () => {
    expect(g4(12_345)).toBe('1.234e+04');
    expect(g4(0.00001234)).toBe('1.234e-05');
    expect(g4(0.0001234)).toBe('0.0001234');
    expect(g4(100)).toBe('100');
    expect(g4(2.0000000001)).toBe('2');
    expect(g4(12_355)).toBe('1.236e+04');
    expect(g4(0.125)).toBe('0.125');
    expect(g4(99_995)).toBe('1e+05');
    expect(g4(-3.14159)).toBe('-3.142');
    expect(g4(1000)).toBe('1000');
    expect(g4(0.1 + 0.2)).toBe('0.3');
  });

  it('refuses actions outside the subset', () => {
    expect(templateProblem('{{ $value | humanize }} {{ $labels.job }}')).toBeUndefined();
    expect(templateProblem('{{ .Labels.job }}')).toMatch(/unsupported/);
    expect(templateProblem('{{ range $labels }}')).toMatch(/unsupported/);
    expect(templateProblem('oops }}')).toMatch(/unbalanced/);
  });
});
