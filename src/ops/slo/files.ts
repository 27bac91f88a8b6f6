// Every file generated from ops/slo.yaml and the dashboard descriptions, with
// its path relative to the repository root. scripts/generate-ops.ts writes them;
// its --check mode (and test/ops/slo.unit.test.ts) compares them with the committed ones.
import { DASHBOARDS } from './dashboards.ts';
import { alertRuleGroups, recordingRuleGroups, ruleFileYaml } from './generate.ts';
import { dashboardJson } from './grafana.ts';
import { RULE_TEST_FILES, ruleTestYaml } from './rule-tests.ts';
import type { SloSpec } from './spec.ts';

export interface GeneratedFile {
  path: string;
  content: string;
}

export function generatedOpsFiles(spec: SloSpec): GeneratedFile[] {
  return [
    { path: 'ops/prometheus/recording.rules.yml', content: ruleFileYaml(recordingRuleGroups(spec)) },
    { path: 'ops/prometheus/alerts.rules.yml', content: ruleFileYaml(alertRuleGroups(spec)) },
    ...RULE_TEST_FILES.map((t) => ({ path: `ops/prometheus/tests/${t.file}`, content: ruleTestYaml(spec, t) })),
    ...DASHBOARDS.map((d) => ({ path: `ops/grafana/${d.file}`, content: `${JSON.stringify(dashboardJson(d.spec), null, 2)}\n` })),
  ];
}
