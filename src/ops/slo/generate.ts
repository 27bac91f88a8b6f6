// Prometheus rule files generated from the SLO spec. Output is deterministic
// (spec order, fixed key order) so CI can compare it with the committed files.
import { stringify } from 'yaml';
import { num, selector, sliErrorRatioExpr, sliRecordName } from './promql.ts';
import type { SloAlert, SloSpec } from './spec.ts';

export const GENERATED_HEADER = 'generated from ops/slo.yaml by scripts/generate-ops.ts — do not edit';

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}
export interface AlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  interval?: string;
  rules: (RecordingRule | AlertingRule)[];
}

const HTTP_HISTOGRAM = 'finhub_http_request_duration_seconds';
const HTTP_5XX = `${HTTP_HISTOGRAM}_count{status_code=~"5.."}`;

export function recordingRuleGroups(spec: SloSpec): RuleGroup[] {
  const sli: RecordingRule[] = spec.slos.flatMap((slo) =>
    spec.sliWindows.map((w) => ({ record: sliRecordName(w.text), expr: sliErrorRatioExpr(slo, w.text), labels: { slo: slo.name, service: spec.service } })),
  );
  // The compliance-window ratio reads 30 days of samples, so it is evaluated
  // every 5 minutes rather than at the global interval.
  const budget: RecordingRule[] = spec.slos.flatMap((slo) => {
    const labels = { slo: slo.name, service: spec.service };
    const ratio = sliRecordName(slo.window.text);
    return [
      { record: ratio, expr: sliErrorRatioExpr(slo, slo.window.text), labels },
      { record: 'finhub:slo_objective:ratio', expr: `vector(${num(slo.objective)})`, labels },
      {
        record: `finhub:slo_error_budget_remaining:ratio${slo.window.text}`,
        expr: `1 - ${selector({ metric: ratio, labels: [{ name: 'slo', op: '=', value: slo.name }] })} / ${num(1 - slo.objective)}`,
        labels,
      },
    ];
  });
  // Dashboard helpers over the standard 5m window.
  const http: RecordingRule[] = [
    { record: 'finhub:http_requests:rate5m', expr: `sum(rate(${HTTP_HISTOGRAM}_count[5m]))` },
    { record: 'finhub:http_requests:rate5m_by_route', expr: `sum by (route, status_code) (rate(${HTTP_HISTOGRAM}_count[5m]))` },
    { record: 'finhub:http_errors:ratio_rate5m', expr: `sum(rate(${HTTP_5XX}[5m])) / sum(rate(${HTTP_HISTOGRAM}_count[5m]))` },
    { record: 'finhub:http_request_duration_seconds:p95_rate5m', expr: `histogram_quantile(0.95, sum by (le) (rate(${HTTP_HISTOGRAM}_bucket[5m])))` },
    { record: 'finhub:http_request_duration_seconds:p95_rate5m_by_route', expr: `histogram_quantile(0.95, sum by (le, route) (rate(${HTTP_HISTOGRAM}_bucket[5m])))` },
  ];
  return [
    { name: 'finhub-slo-sli', rules: sli },
    { name: 'finhub-slo-budget', interval: '5m', rules: budget },
    { name: 'finhub-http', rules: http },
  ];
}

export function alertingRule(spec: SloSpec, a: SloAlert, extraLabels: Record<string, string> = {}): AlertingRule {
  const labels: Record<string, string> = { severity: a.severity, incident_severity: a.incidentSeverity, service: spec.service };
  if (a.condition.kind === 'burn_rate') labels.slo = a.condition.slo;
  if (a.components.length > 0) labels.component = a.components.join(',');
  return {
    alert: a.name,
    expr: a.expr,
    for: a.for.text,
    labels: { ...labels, ...extraLabels },
    annotations: { summary: a.summary, description: a.description, runbook_url: a.runbookUrl },
  };
}

export function alertRuleGroups(spec: SloSpec): RuleGroup[] {
  const burn = spec.alerts.filter((a) => a.condition.kind === 'burn_rate');
  const named = spec.alerts.filter((a) => a.condition.kind !== 'burn_rate');
  return [
    { name: 'finhub-slo-burn-rate', rules: burn.map((a) => alertingRule(spec, a)) },
    { name: 'finhub-alerts', rules: named.map((a) => alertingRule(spec, a)) },
  ];
}

/** A Prometheus rule file with the do-not-edit header. */
export function ruleFileYaml(groups: RuleGroup[], header = GENERATED_HEADER): string {
  return `# ${header}\n${stringify({ groups }, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
