// Every metric name in the generated rules and the Grafana dashboards must be
// one finhub exposes, so a typo in ops/slo.yaml or dashboards.ts fails here
// instead of silently never alerting. Names come from a real app's /metrics,
// plus the series Prometheus makes itself.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { metricNames } from './promql-names.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Series Prometheus makes itself.
const PROMETHEUS = ['up', 'ALERTS', 'ALERTS_FOR_STATE'];
const EXTRA = new Set(PROMETHEUS);


interface Rule {
  record?: string;
  alert?: string;
  expr: string;
}
const ruleFiles = ['recording.rules.yml', 'alerts.rules.yml'].map((f) => ({
  file: f,
  rules: (parse(readFileSync(join(ROOT, 'ops/prometheus', f), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules),
}));
const recorded = new Set(ruleFiles.flatMap((f) => f.rules.flatMap((r) => (r.record ? [r.record] : []))));

interface Target {
  refId: string;
  expr: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string; query: string }[] };
  panels: Panel[];
}
const dashboards = readdirSync(join(ROOT, 'ops/grafana'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, d: JSON.parse(readFileSync(join(ROOT, 'ops/grafana', f), 'utf8')) as Dashboard }));

describe('metric names in rules and dashboards', () => {
  let t: TestApp;
  let exposed: Set<string>;

  beforeAll(async () => {
    t = await createTestApp();
    // One request so the HTTP histogram has series.
    await t.req({ method: 'GET', url: '/health/live' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    exposed = new Set(
      res.body
        .split('\n')
        .filter((l) => l.startsWith('# TYPE '))
        .flatMap((l) => {
          const [, , name, type] = l.split(' ');
          return type === 'histogram' || type === 'summary' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`, name as string] : [name as string];
        }),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the extractor finds metric names and nothing else', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le, route) (rate(finhub_x_bucket{le="0.5",a=~"b|c"}[5m]))) > 0.5')).toEqual(['finhub_x_bucket']);
    expect(metricNames('time() - max(a_b) > 1e3 and on (instance) c:d:e{x="y"} offset 5m or vector(0)')).toEqual(['a_b', 'c:d:e']);
    expect(metricNames('sum(rate(foo_total[$__rate_interval])) / sum(rate(bar_total[${window}]))')).toEqual(['foo_total', 'bar_total']);
  });

  it('every alert and recording rule uses only exposed metrics or recorded series', () => {
    const unknown: string[] = [];
    for (const f of ruleFiles) {
      for (const r of f.rules) {
        for (const n of metricNames(r.expr)) if (!exposed.has(n) && !recorded.has(n) && !EXTRA.has(n)) unknown.push(`${f.file} ${r.alert ?? r.record}: ${n}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('every dashboard query uses only exposed metrics or recorded series', () => {
    const unknown: string[] = [];
    for (const { file, d } of dashboards) {
      for (const p of d.panels) for (const tg of p.targets) for (const n of metricNames(tg.expr)) if (!exposed.has(n) && !recorded.has(n) && !EXTRA.has(n)) unknown.push(`${file} "${p.title}": ${n}`);
    }
    expect(unknown).toEqual([]);
  });
});

describe('Grafana dashboards', () => {
  it('are the five expected ones with unique uids', () => {
    expect(dashboards.map((x) => x.file).sort()).toEqual(['api.json', 'business.json', 'database.json', 'jobs.json', 'overview.json']);
    expect(new Set(dashboards.map((x) => x.d.uid)).size).toBe(5);
  });

  it.each(dashboards.map((x) => [x.file, x.d] as const))('%s is a valid dashboard on the ${datasource} Prometheus variable', (_file, d) => {
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(d.title).toMatch(/^finhub \/ /);
    expect(d.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
    expect(d.panels.length).toBeGreaterThan(3);
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    for (const p of d.panels) {
      expect(['timeseries', 'stat']).toContain(p.type);
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      expect(p.targets.length).toBeGreaterThan(0);
      for (const tg of p.targets) {
        expect(tg.datasource.uid).toBe('${datasource}');
        expect(tg.refId).toMatch(/^[A-Z]$/);
        expect(tg.expr.trim().length).toBeGreaterThan(0);
      }
    }
  });
});
