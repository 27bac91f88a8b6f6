// PromQL for the spec's conditions. The expressions here are what Prometheus
// evaluates; the watchdog evaluates the same `condition` objects in-process.
import type { Condition, LabelMatcher, Selector, Slo } from './spec.ts';

/** `metric{a="x",b=~"y"}`; label values are quoted with JSON escapes, which PromQL strings accept. */
export function selector(s: Selector | { metric: string; labels: readonly LabelMatcher[] }, extra: readonly LabelMatcher[] = []): string {
  const all = [...s.labels, ...extra];
  return all.length === 0 ? s.metric : `${s.metric}{${all.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(',')}}`;
}

export function num(n: number): string {
  return String(Number(n.toPrecision(12)));
}

/** `sum(x)` or `sum by (instance) (x)`. */
const agg = (op: string, by: readonly string[], inner: string) => (by.length ? `${op} by (${by.join(', ')}) (${inner})` : `${op}(${inner})`);

/** Name of the recorded SLI error ratio over `window` (labelled slo="<name>"). */
export function sliRecordName(windowText: string): string {
  return `finhub:slo_error_ratio:rate${windowText}`;
}

/** The SLI error ratio of an SLO over a window, from raw series. */
export function sliErrorRatioExpr(slo: Slo, windowText: string): string {
  const rate = (s: Selector) => `sum(rate(${selector(s)}[${windowText}]))`;
  const ratio = `${rate(slo.sli.selector)} / ${rate(slo.sli.total)}`;
  return slo.sli.kind === 'errors' ? ratio : `1 - (${ratio})`;
}

export function alertExpr(c: Condition, spec: { job: string }): string {
  const cmp = `${c.comparator} ${num(c.threshold)}`;
  switch (c.kind) {
    case 'gauge':
      return `${agg(c.aggregate, c.by, selector(c.selector))} ${cmp}`;
    case 'gauge_ratio': {
      const ratio = `${agg('sum', c.by, selector(c.numerator))} / ${agg('sum', c.by, selector(c.denominator))}`;
      return c.oneMinus ? `1 - (${ratio}) ${cmp}` : `${ratio} ${cmp}`;
    }
    case 'age':
      return `time() - ${agg('max', c.by, selector(c.selector))} ${cmp}`;
    case 'increase':
      return `${agg('sum', c.by, `increase(${selector(c.selector)}[${c.window.text}])`)} ${cmp}`;
    case 'rate_ratio': {
      const rate = (s: Selector) => agg('sum', c.by, `rate(${selector(s)}[${c.window.text}])`);
      return `${rate(c.numerator)} / ${rate(c.denominator)} ${cmp}`;
    }
    case 'quantile':
      return `histogram_quantile(${num(c.quantile)}, ${agg('sum', ['le', ...c.by], `rate(${selector({ metric: `${c.histogram}_bucket`, labels: c.labels })}[${c.window.text}])`)}) ${cmp}`;
    case 'burn_rate': {
      const slo = [{ name: 'slo', op: '=' as const, value: c.slo }];
      const long = selector({ metric: sliRecordName(c.longWindow.text), labels: slo });
      const short = selector({ metric: sliRecordName(c.shortWindow.text), labels: slo });
      return `${long} ${cmp}\nand\n${short} ${cmp}`;
    }
    case 'target_down':
      return `up{job=${JSON.stringify(spec.job)}} == 0`;
  }
}
