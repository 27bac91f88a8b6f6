// Prometheus duration strings ("90s", "5m", "1h30m", "3d") as used in ops/slo.yaml.
// Kept to Prometheus' own grammar so a spec value can be pasted into PromQL as is.
export interface Duration {
  /** The text as written in the spec, valid PromQL (e.g. "1h30m"). */
  readonly text: string;
  readonly seconds: number;
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };
const PART = /(\d+)(ms|s|m|h|d|w|y)/g;
const WHOLE = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** Parses a Prometheus duration; undefined when the text is not one (or is zero). */
export function parseDuration(text: string): Duration | undefined {
  if (!WHOLE.test(text)) return undefined;
  let seconds = 0;
  for (const m of text.matchAll(PART)) seconds += Number(m[1]) * (UNIT_SECONDS[m[2] as string] as number);
  return seconds > 0 ? { text, seconds } : undefined;
}

/** Seconds as the shortest Prometheus duration text ("93600" -> "26h"). */
export function formatDuration(seconds: number): string {
  if (seconds <= 0 || !Number.isFinite(seconds)) throw new RangeError(`not a positive duration: ${seconds}`);
  let rest = Math.floor(seconds * 1000 + 0.5);
  let out = '';
  for (const [unit, ms] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / ms);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * ms;
    }
  }
  return out;
}
