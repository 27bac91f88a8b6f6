// Strict validation of ops/slo.yaml into the types of spec.ts. Each reader
// takes the value and its field path, records a problem naming the path, and
// returns undefined when the value is unusable. A missing value was already
// reported by object()'s `required` check, so the value readers stay silent
// about undefined to avoid saying it twice.
import { parseDuration, type Duration } from './duration.ts';
import { alertExpr } from './promql.ts';
import type { BurnRateCondition, Comparator, Condition, LabelMatcher, MatchOp, Selector, Slo, SloAlert, SloSli, SloSpec } from './spec.ts';
import { TEMPLATE_PATTERN, templateProblem } from './templates.ts';

type Obj = Record<string, unknown>;
const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const ALERT_NAME = /^[A-Z][A-Za-z0-9]*$/;
const SLO_NAME = /^[a-z][a-z0-9_]*$/;
const ANCHOR = /^#[a-z0-9][a-z0-9-]*$/;
const COMPARATORS: readonly Comparator[] = ['>', '>=', '<', '<='];
/** Field path of `key` under `path` (the top level has the empty path). */
const at = (path: string, key: string) => (path ? `${path}.${key}` : key);

class Reader {
  problems: string[] = [];
  fail(path: string, message: string): undefined {
    this.problems.push(`${path}: ${message}`);
    return undefined;
  }
  object(x: unknown, path: string, keys: { required: string[]; optional?: string[] }): Obj | undefined {
    if (!isMapping(x)) return this.fail(path || 'spec', 'must be a mapping');
    const allowed = new Set([...keys.required, ...(keys.optional ?? [])]);
    for (const k of Object.keys(x)) if (!allowed.has(k)) this.fail(at(path, k), `unknown field (allowed: ${[...allowed].join(', ')})`);
    for (const k of keys.required) if (x[k] === undefined || x[k] === null) this.fail(at(path, k), 'is required');
    return x;
  }
  list(x: unknown, path: string, opts: { nonEmpty?: boolean } = {}): unknown[] | undefined {
    if (x === undefined || x === null) return undefined;
    if (!Array.isArray(x)) return this.fail(path, 'must be a list');
    if (opts.nonEmpty && x.length === 0) return this.fail(path, 'must not be empty');
    return x;
  }
  string(x: unknown, path: string, pattern?: RegExp, hint?: string): string | undefined {
    if (x === undefined || x === null) return undefined;
    if (typeof x !== 'string' || x.trim() === '') return this.fail(path, 'must be a non-empty string');
    if (pattern && !pattern.test(x)) return this.fail(path, `${JSON.stringify(x)} is not valid${hint ? ` (${hint})` : ''}`);
    return x;
  }
  number(x: unknown, path: string, check?: (n: number) => boolean, hint?: string): number | undefined {
    if (x === undefined || x === null) return undefined;
    if (typeof x !== 'number' || !Number.isFinite(x)) return this.fail(path, 'must be a number');
    if (check && !check(x)) return this.fail(path, `${x} is out of range (${hint})`);
    return x;
  }
  oneOf<T extends string>(x: unknown, path: string, values: readonly T[]): T | undefined {
    if (x === undefined || x === null) return undefined;
    if (typeof x !== 'string' || !values.includes(x as T)) return this.fail(path, `must be one of ${values.join(', ')} (got ${JSON.stringify(x)})`);
    return x as T;
  }
  duration(x: unknown, path: string): Duration | undefined {
    if (x === undefined || x === null) return undefined;
    const d = typeof x === 'string' ? parseDuration(x) : undefined;
    return d ?? this.fail(path, `must be a Prometheus duration such as 30s, 5m, 1h30m, 3d (got ${JSON.stringify(x)})`);
  }
  template(x: unknown, path: string): string | undefined {
    const s = this.string(x, path);
    if (s === undefined) return undefined;
    const p = templateProblem(s);
    return p ? this.fail(path, `${p} (allowed: ${TEMPLATE_PATTERN})`) : s;
  }
}

const isMapping = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The normalised spec, or the problems found (each naming its field). */
export function readSpec(raw: unknown): { spec: SloSpec | undefined; problems: string[] } {
  const v = new Reader();
  const spec = readSpecWith(v, raw);
  return { spec: v.problems.length > 0 ? undefined : spec, problems: v.problems };
}

function readSpecWith(v: Reader, raw: unknown): SloSpec | undefined {
  const o = v.object(raw, '', { required: ['version', 'service', 'job', 'runbook_base', 'sli_windows', 'slos', 'alerts'] });
  if (!o) return undefined;
  if (o.version !== undefined && o.version !== 1) v.fail('version', `must be 1 (got ${JSON.stringify(o.version)})`);
  const service = v.string(o.service, 'service', LABEL, 'a Prometheus label value made of letters, digits and _');
  const job = v.string(o.job, 'job');
  const runbookBase = v.string(o.runbook_base, 'runbook_base');
  const sliWindows = (v.list(o.sli_windows, 'sli_windows', { nonEmpty: true }) ?? []).map((w, i) => v.duration(w, `sli_windows[${i}]`));
  const slos = (v.list(o.slos, 'slos') ?? []).map((s, i) => readSlo(v, s, `slos[${i}]`));
  const goodSlos = slos.filter((s): s is Slo & { burn: RawAlert[] } => s !== undefined);
  const seen = new Set<string>();
  for (const s of goodSlos) {
    if (seen.has(s.name)) v.fail(`slos`, `SLO name ${s.name} is used twice`);
    seen.add(s.name);
  }
  const windows = new Set(sliWindows.filter((w) => w !== undefined).map((w) => w.seconds));
  const rawAlerts: RawAlert[] = goodSlos.flatMap((s) => s.burn);
  for (const a of rawAlerts) {
    const c = a.condition as BurnRateCondition;
    if (!windows.has(c.longWindow.seconds)) v.fail(`${a.path}.long_window`, `${c.longWindow.text} is not one of sli_windows`);
    if (!windows.has(c.shortWindow.seconds)) v.fail(`${a.path}.short_window`, `${c.shortWindow.text} is not one of sli_windows`);
  }
  (v.list(o.alerts, 'alerts') ?? []).forEach((a, i) => {
    const r = readAlert(v, a, `alerts[${i}]`, ['condition'], (c, p) => readCondition(v, c, p));
    if (r) rawAlerts.push(r);
  });
  const keys = new Set<string>();
  for (const a of rawAlerts) {
    const key = `${a.name}:${a.severity}`;
    if (keys.has(key)) v.fail(a.path, `alert ${a.name} with severity ${a.severity} is defined twice`);
    keys.add(key);
  }
  if (v.problems.length > 0 || !service || !job || !runbookBase) return undefined;
  const base = { service, job, sliWindows: sliWindows as Duration[], slos: goodSlos.map(({ burn: _burn, ...s }) => s) };
  const alerts = rawAlerts.map((a): SloAlert => {
    const { path: _path, ...rest } = a;
    return { ...rest, key: `${a.name}:${a.severity}`, runbookUrl: `${runbookBase}${a.runbook}`, expr: alertExpr(a.condition, base) };
  });
  return { version: 1, runbookBase, ...base, alerts };
}

type RawAlert = Omit<SloAlert, 'key' | 'runbookUrl' | 'expr'> & { path: string };

/** `conditionFields` are the alert's own fields that describe its condition (`condition`, or a burn rate's factor and windows). */
function readAlert(v: Reader, x: unknown, path: string, conditionFields: string[], readCond: (o: Obj, path: string) => Condition | undefined): RawAlert | undefined {
  const o = v.object(x, path, { required: ['name', 'severity', 'incident_severity', 'for', 'summary', 'description', 'runbook', ...conditionFields], optional: ['components'] });
  if (!o) return undefined;
  const name = v.string(o.name, `${path}.name`, ALERT_NAME, 'CamelCase, starting with a capital letter');
  const p = name ? `${path} (${name})` : path;
  const severity = v.oneOf(o.severity, `${p}.severity`, ['critical', 'warning'] as const);
  const incidentSeverity = v.oneOf(o.incident_severity, `${p}.incident_severity`, ['P0', 'P1', 'P2', 'P3'] as const);
  const forD = v.duration(o.for, `${p}.for`);
  const summary = v.template(o.summary, `${p}.summary`);
  const description = v.template(o.description, `${p}.description`);
  const runbook = v.string(o.runbook, `${p}.runbook`, ANCHOR, 'an anchor in the runbook such as #higherrorrate');
  const components = o.components === undefined ? [] : (v.list(o.components, `${p}.components`) ?? []).map((c, i) => v.string(c, `${p}.components[${i}]`, SLO_NAME, 'lower_snake_case'));
  const condition = readCond(o, p);
  if (!name || !severity || !incidentSeverity || !forD || !summary || !description || !runbook || !condition || components.some((c) => c === undefined)) return undefined;
  return { path: p, name, severity, incidentSeverity, for: forD, summary, description, runbook, components: components as string[], condition };
}

function readSlo(v: Reader, x: unknown, path: string): (Slo & { burn: RawAlert[] }) | undefined {
  const o = v.object(x, path, { required: ['name', 'description', 'objective', 'window', 'total'], optional: ['errors', 'good', 'burn_rate_alerts'] });
  if (!o) return undefined;
  const name = v.string(o.name, `${path}.name`, SLO_NAME, 'lower_snake_case');
  const p = name ? `${path} (${name})` : path;
  const description = v.string(o.description, `${p}.description`);
  const objective = v.number(o.objective, `${p}.objective`, (n) => n > 0 && n < 1, 'between 0 and 1, exclusive');
  const window = v.duration(o.window, `${p}.window`);
  const total = readSelector(v, o.total, `${p}.total`);
  let sli: SloSli | undefined;
  if ((o.errors === undefined) === (o.good === undefined)) v.fail(p, 'needs exactly one of errors or good');
  else if (o.errors !== undefined) {
    const s = readSelector(v, o.errors, `${p}.errors`);
    if (s && total) sli = { kind: 'errors', selector: s, total };
  } else {
    const s = readSelector(v, o.good, `${p}.good`);
    if (s && total) sli = { kind: 'good', selector: s, total };
  }
  const burn: RawAlert[] = [];
  (o.burn_rate_alerts === undefined ? [] : (v.list(o.burn_rate_alerts, `${p}.burn_rate_alerts`) ?? [])).forEach((a, i) => {
    const r = readAlert(
      v,
      a,
      `${p}.burn_rate_alerts[${i}]`,
      ['factor', 'long_window', 'short_window'],
      (ao, ap): BurnRateCondition | undefined => {
        const factor = v.number(ao.factor, `${ap}.factor`, (n) => n > 0, 'greater than 0');
        const longWindow = v.duration(ao.long_window, `${ap}.long_window`);
        const shortWindow = v.duration(ao.short_window, `${ap}.short_window`);
        if (longWindow && shortWindow && shortWindow.seconds >= longWindow.seconds) v.fail(`${ap}.short_window`, 'must be shorter than long_window');
        if (!name || factor === undefined || !longWindow || !shortWindow || objective === undefined) return undefined;
        // Rounded so 14.4 × 0.001 prints as 0.0144, not 0.014400000000000001.
        const threshold = Number((factor * (1 - objective)).toPrecision(12));
        return { kind: 'burn_rate', slo: name, factor, longWindow, shortWindow, comparator: '>', threshold, by: [] };
      },
    );
    if (r) burn.push(r);
  });
  if (!name || !description || objective === undefined || !window || !sli) return undefined;
  return { name, description, objective, window, sli, burn };
}

function readSelector(v: Reader, x: unknown, path: string): Selector | undefined {
  if (typeof x === 'string') return { metric: v.string(x, path, METRIC, 'a Prometheus metric name') ?? '', labels: [] };
  const o = v.object(x, path, { required: ['metric'], optional: ['labels'] });
  if (!o) return undefined;
  const metric = v.string(o.metric, `${path}.metric`, METRIC, 'a Prometheus metric name');
  const labels = readLabels(v, o.labels, `${path}.labels`);
  return metric && labels ? { metric, labels } : undefined;
}

/** labels: { name: "literal" | { equals | not | regex | not_regex: "…" } } */
function readLabels(v: Reader, x: unknown, path: string): LabelMatcher[] | undefined {
  if (x === undefined) return [];
  if (!isMapping(x)) return v.fail(path, 'must be a mapping of label name to value');
  const out: LabelMatcher[] = [];
  for (const [name, m] of Object.entries(x)) {
    const lp = `${path}.${name}`;
    if (!LABEL.test(name)) v.fail(lp, 'is not a valid label name');
    if (typeof m === 'string') {
      out.push({ name, op: '=', value: m });
      continue;
    }
    const mo = v.object(m, lp, { required: [], optional: ['equals', 'not', 'regex', 'not_regex'] });
    const entries = mo ? Object.entries(mo) : [];
    if (mo && entries.length !== 1) v.fail(lp, 'needs exactly one of equals, not, regex, not_regex');
    const [kind, value] = entries[0] ?? [];
    const text = v.string(value, `${lp}.${kind}`);
    if (kind === undefined || text === undefined) continue;
    const ops: Record<string, MatchOp> = { equals: '=', not: '!=', regex: '=~', not_regex: '!~' };
    const op = ops[kind] as MatchOp;
    if (op === '=~' || op === '!~') {
      try {
        new RegExp(`^(?:${text})$`);
      } catch {
        v.fail(`${lp}.${kind}`, `${JSON.stringify(text)} is not a valid regular expression`);
      }
    }
    out.push({ name, op, value: text });
  }
  return out;
}

const CONDITION_FIELDS: Record<Exclude<Condition['kind'], 'burn_rate'>, { required: string[]; optional: string[] }> = {
  // target_down takes no fields besides kind.
  gauge: { required: ['metric'], optional: ['labels', 'aggregate'] },
  gauge_ratio: { required: ['numerator', 'denominator'], optional: ['one_minus'] },
  age: { required: ['metric'], optional: ['labels'] },
  increase: { required: ['metric', 'window'], optional: ['labels'] },
  rate_ratio: { required: ['numerator', 'denominator', 'window'], optional: [] },
  quantile: { required: ['histogram', 'quantile', 'window'], optional: ['labels'] },
  target_down: { required: [], optional: [] },
};

function readCondition(v: Reader, alert: Obj, path: string): Condition | undefined {
  const cp = `${path}.condition`;
  const x = alert.condition;
  if (typeof x !== 'object' || x === null) return v.fail(cp, 'must be a mapping');
  const kind = v.oneOf((x as Obj).kind, `${cp}.kind`, Object.keys(CONDITION_FIELDS) as Exclude<Condition['kind'], 'burn_rate'>[]);
  if (!kind) return undefined;
  const f = CONDITION_FIELDS[kind];
  if (kind === 'target_down') {
    v.object(x, cp, { required: ['kind'] });
    // value = 1 − up: 1 while the last scrape failed.
    return { kind, comparator: '>', threshold: 0, by: [] };
  }
  const o = v.object(x, cp, { required: ['kind', ...f.required, 'comparator', 'threshold'], optional: [...f.optional, 'by'] });
  if (!o) return undefined;
  const comparator = v.oneOf(o.comparator, `${cp}.comparator`, COMPARATORS);
  // Thresholds are numbers in base units; durations may be written as text ("26h", "500ms") and become seconds.
  const threshold = typeof o.threshold === 'string' ? v.duration(o.threshold, `${cp}.threshold`)?.seconds : v.number(o.threshold, `${cp}.threshold`);
  const by = o.by === undefined ? [] : (v.list(o.by, `${cp}.by`) ?? []).map((l, i) => v.string(l, `${cp}.by[${i}]`, LABEL, 'a label name'));
  const sel = (name: string): Selector | undefined => {
    if (name !== 'metric') return readSelector(v, o[name], `${cp}.${name}`);
    // metric + labels sit directly on the condition.
    const metric = v.string(o.metric, `${cp}.metric`, METRIC, 'a Prometheus metric name');
    const labels = readLabels(v, o.labels, `${cp}.labels`);
    return metric && labels ? { metric, labels } : undefined;
  };
  const window = f.required.includes('window') ? v.duration(o.window, `${cp}.window`) : undefined;
  if (comparator === undefined || threshold === undefined || by.some((b) => b === undefined)) return undefined;
  const common = { comparator, threshold, by: by as string[] };
  switch (kind) {
    case 'gauge': {
      const selector = sel('metric');
      const aggregate = o.aggregate === undefined ? 'max' : v.oneOf(o.aggregate, `${cp}.aggregate`, ['sum', 'max', 'min'] as const);
      return selector && aggregate ? { kind, selector, aggregate, ...common } : undefined;
    }
    case 'gauge_ratio': {
      const numerator = sel('numerator');
      const denominator = sel('denominator');
      if (o.one_minus !== undefined && typeof o.one_minus !== 'boolean') v.fail(`${cp}.one_minus`, 'must be true or false');
      return numerator && denominator ? { kind, numerator, denominator, oneMinus: o.one_minus === true, ...common } : undefined;
    }
    case 'age': {
      const selector = sel('metric');
      return selector ? { kind, selector, ...common } : undefined;
    }
    case 'increase': {
      const selector = sel('metric');
      return selector && window ? { kind, selector, window, ...common } : undefined;
    }
    case 'rate_ratio': {
      const numerator = sel('numerator');
      const denominator = sel('denominator');
      return numerator && denominator && window ? { kind, numerator, denominator, window, ...common } : undefined;
    }
    case 'quantile': {
      const histogram = v.string(o.histogram, `${cp}.histogram`, METRIC, 'a histogram base name');
      const labels = readLabels(v, o.labels, `${cp}.labels`);
      const quantile = v.number(o.quantile, `${cp}.quantile`, (n) => n > 0 && n < 1, 'between 0 and 1, exclusive');
      return histogram && labels && quantile !== undefined && window ? { kind, histogram, labels, quantile, window, ...common } : undefined;
    }
  }
}
