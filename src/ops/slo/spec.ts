// The one SLO and alert spec (ops/slo.yaml): types, strict loader and validator.
// Two consumers read the same normalised spec: the rule generator (PromQL for
// Prometheus) and the in-process watchdog (evaluates each alert's `condition`
// from finhub's own metric values). The format is documented at the top of
// ops/slo.yaml.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Duration } from './duration.ts';
import { readSpec } from './spec-reader.ts';

export type { Duration } from './duration.ts';

export type Severity = 'critical' | 'warning';
export type IncidentSeverity = 'P0' | 'P1' | 'P2' | 'P3';
export type Comparator = '>' | '>=' | '<' | '<=';
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  /** A literal for = and !=, an anchored RE2 regular expression for =~ and !~. */
  readonly value: string;
}

export interface Selector {
  readonly metric: string;
  readonly labels: readonly LabelMatcher[];
}

interface Compared {
  readonly comparator: Comparator;
  /** In base units: a ratio 0-1, seconds, bytes or a count. */
  readonly threshold: number;
  /** Prometheus keeps these labels (one alert per value, e.g. per instance); the watchdog sees one process and may ignore them. */
  readonly by: readonly string[];
}

/** value = aggregate(selector) over all matching series. */
export interface GaugeCondition extends Compared {
  readonly kind: 'gauge';
  readonly selector: Selector;
  readonly aggregate: 'sum' | 'max' | 'min';
}
/** value = sum(numerator) / sum(denominator), or 1 minus that when oneMinus. */
export interface GaugeRatioCondition extends Compared {
  readonly kind: 'gauge_ratio';
  readonly numerator: Selector;
  readonly denominator: Selector;
  readonly oneMinus: boolean;
}
/** value = now (seconds) − max(selector); the selector is a Unix timestamp gauge. 0 means "never", hence very old. */
export interface AgeCondition extends Compared {
  readonly kind: 'age';
  readonly selector: Selector;
}
/** value = increase of the counter(s) over the window. */
export interface IncreaseCondition extends Compared {
  readonly kind: 'increase';
  readonly selector: Selector;
  readonly window: Duration;
}
/** value = increase(numerator) / increase(denominator) over the window; no value while the denominator did not move. */
export interface RateRatioCondition extends Compared {
  readonly kind: 'rate_ratio';
  readonly numerator: Selector;
  readonly denominator: Selector;
  readonly window: Duration;
}
/** value = the quantile estimated from the histogram's bucket increases over the window (histogram_quantile). */
export interface QuantileCondition extends Compared {
  readonly kind: 'quantile';
  /** Histogram base name; the series are `<histogram>_bucket` with an `le` label. */
  readonly histogram: string;
  readonly labels: readonly LabelMatcher[];
  readonly quantile: number;
  readonly window: Duration;
}
/**
 * Multi-window burn rate: fires while the SLO's error ratio exceeds
 * factor × (1 − objective) over BOTH the long and the short window.
 * `threshold` holds that error ratio, `comparator` is '>'.
 */
export interface BurnRateCondition extends Compared {
  readonly kind: 'burn_rate';
  readonly slo: string;
  readonly factor: number;
  readonly longWindow: Duration;
  readonly shortWindow: Duration;
}
/** The scrape of finhub fails (`up == 0`; value = 1 − up, comparator '>', threshold 0). Prometheus only: a process cannot watch itself being down. */
export interface TargetDownCondition extends Compared {
  readonly kind: 'target_down';
}

export type Condition =
  | GaugeCondition
  | GaugeRatioCondition
  | AgeCondition
  | IncreaseCondition
  | RateRatioCondition
  | QuantileCondition
  | BurnRateCondition
  | TargetDownCondition;

export interface SloAlert {
  /** `${name}:${severity}` — unique; one name may exist at two severities (warning and critical). */
  readonly key: string;
  readonly name: string;
  readonly severity: Severity;
  readonly incidentSeverity: IncidentSeverity;
  readonly for: Duration;
  /** Prometheus alert templates; only the forms listed in templates.ts (the watchdog renders them with renderTemplate). */
  readonly summary: string;
  readonly description: string;
  /** Anchor in docs/runbook.md, e.g. "#higherrorrate". */
  readonly runbook: string;
  /** runbook_base + runbook. */
  readonly runbookUrl: string;
  /** Affected finhub components (api, database, jobs, backups, …); the `component` label, comma-separated. */
  readonly components: readonly string[];
  readonly condition: Condition;
  /** The PromQL alert expression generated from `condition`. */
  readonly expr: string;
}

export interface SloSli {
  /** errors: the selector counts bad events; good: it counts good events (error ratio = 1 − good/total). */
  readonly kind: 'errors' | 'good';
  readonly selector: Selector;
  readonly total: Selector;
}

export interface Slo {
  readonly name: string;
  readonly description: string;
  /** Target fraction of good events, e.g. 0.999. The error budget is 1 − objective. */
  readonly objective: number;
  readonly window: Duration;
  readonly sli: SloSli;
}

export interface SloSpec {
  readonly version: 1;
  readonly service: string;
  /** Prometheus scrape job name of finhub (used for `up`). */
  readonly job: string;
  readonly runbookBase: string;
  /** Windows of the recorded SLI error ratios (each burn-rate window must be one of them). */
  readonly sliWindows: readonly Duration[];
  readonly slos: readonly Slo[];
  /** Every alert: the SLOs' burn-rate alerts first, then the named alerts, in file order. */
  readonly alerts: readonly SloAlert[];
}

export const DEFAULT_SLO_SPEC_PATH = fileURLToPath(new URL('../../../ops/slo.yaml', import.meta.url));

export class SloSpecError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is not a valid SLO spec:\n  ${problems.join('\n  ')}`);
    this.name = 'SloSpecError';
  }
}

/** Reads and validates ops/slo.yaml (or `path`); throws SloSpecError listing every problem by field. */
export function loadSloSpec(path: string = DEFAULT_SLO_SPEC_PATH): SloSpec {
  return parseSloSpec(readFileSync(path, 'utf8'), path);
}

/** Validates spec text; `source` names it in error messages. */
export function parseSloSpec(text: string, source = 'slo spec'): SloSpec {
  let raw: unknown;
  try {
    raw = parse(text, { uniqueKeys: true, prettyErrors: true });
  } catch (e) {
    throw new SloSpecError(source, [`YAML: ${(e as Error).message}`]);
  }
  const { spec, problems } = readSpec(raw);
  if (problems.length > 0 || !spec) throw new SloSpecError(source, problems);
  return spec;
}
