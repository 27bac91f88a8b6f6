// Grafana dashboards (ops/grafana/*.json), generated from the small
// descriptions in dashboards.ts. Every query uses the `${datasource}` template
// variable, so the JSON imports into any Grafana with a Prometheus data source.
import { GENERATED_HEADER } from './generate.ts';

export type PanelKind = 'timeseries' | 'stat';

export interface PanelSpec {
  title: string;
  kind: PanelKind;
  /** Grafana unit id: percentunit, s, bytes, reqps, short, dateTimeFromNow, ... */
  unit: string;
  queries: { expr: string; legend?: string }[];
  description?: string;
  /** Width in grid columns (of 24); default 12 for time series, 6 for stats. */
  width?: number;
  /** Stat thresholds as [value, color] steps above the base green. */
  thresholds?: [number, string][];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  panels: PanelSpec[];
}

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

function panelJson(p: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }) {
  const thresholds = { mode: 'absolute', steps: [{ color: 'green', value: null }, ...(p.thresholds ?? []).map(([value, color]) => ({ color, value }))] };
  return {
    id,
    type: p.kind,
    title: p.title,
    ...(p.description ? { description: p.description } : {}),
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: { defaults: { unit: p.unit, thresholds, ...(p.kind === 'timeseries' ? { custom: { fillOpacity: 10, lineWidth: 1 } } : {}) }, overrides: [] },
    options:
      p.kind === 'stat'
        ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'auto' }
        : { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets: p.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: q.expr,
      ...(q.legend ? { legendFormat: q.legend } : {}),
      ...(p.kind === 'stat' ? { instant: true } : { range: true }),
    })),
  };
}

/** Lays panels out left to right in rows of 24 columns. */
export function dashboardJson(d: DashboardSpec) {
  const panels = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const [i, p] of d.panels.entries()) {
    const w = p.width ?? (p.kind === 'stat' ? 6 : 12);
    const h = p.kind === 'stat' ? 4 : 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    panels.push(panelJson(p, i + 1, { x, y, w, h }));
    x += w;
    rowHeight = Math.max(rowHeight, h);
  }
  return {
    uid: d.uid,
    title: d.title,
    description: `${d.description} (${GENERATED_HEADER})`,
    tags: ['finhub'],
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    timezone: 'browser',
    annotations: { list: [] },
    links: [],
    templating: {
      list: [{ name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0, options: [], refresh: 1, regex: '', skipUrlSync: false }],
    },
    panels,
  };
}
