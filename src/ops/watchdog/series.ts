// finhub's own metric values as flat series (name, labels, value), read from
// the container's prom-client registry, and the spec's label selectors over
// them. Label values are text as in the exposition format (le="0.5", "+Inf").
import type { Registry } from 'prom-client';
import type { LabelMatcher, Selector } from '../slo/spec.ts';

export interface Series {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

const labelText = (v: unknown): string => (v === Infinity || v === '+Inf' ? '+Inf' : String(v));

/** Every sample of every metric; histogram values appear as <name>_bucket, _sum and _count. */
export async function readSeries(registry: Registry): Promise<Series[]> {
  const out: Series[] = [];
  for (const m of await registry.getMetricsAsJSON()) {
    for (const v of m.values as { value: number; labels: Record<string, unknown>; metricName?: string }[]) {
      const labels: Record<string, string> = {};
      for (const [k, x] of Object.entries(v.labels ?? {})) labels[k] = labelText(x);
      out.push({ name: v.metricName ?? m.name, labels, value: Number(v.value) });
    }
  }
  return out;
}

const regexCache = new Map<string, RegExp>();
function anchored(re: string): RegExp {
  let r = regexCache.get(re);
  if (!r) {
    r = new RegExp(`^(?:${re})$`);
    regexCache.set(re, r);
  }
  return r;
}

/** PromQL semantics: a missing label is the empty string; regular expressions are anchored. */
export function labelMatches(labels: Readonly<Record<string, string>>, m: LabelMatcher): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return anchored(m.value).test(v);
    case '!~':
      return !anchored(m.value).test(v);
  }
}

export function selectSeries(series: readonly Series[], s: Selector): Series[] {
  return series.filter((x) => x.name === s.metric && s.labels.every((m) => labelMatches(x.labels, m)));
}

/** Sum over the matching series; undefined when none matches (PromQL: empty vector). */
export function sumOf(series: readonly Series[], s: Selector): number | undefined {
  const hit = selectSeries(series, s);
  return hit.length ? hit.reduce((a, x) => a + x.value, 0) : undefined;
}
