// Alert summary/description templates. The spec allows a small subset of
// Prometheus' Go templates so that Prometheus and the in-process watchdog
// render the same text: {{ $value }}, {{ $value | humanize }},
// {{ $value | humanizePercentage }}, {{ $value | humanizeDuration }},
// {{ $value | humanize1024 }} and {{ $labels.NAME }}.
export const TEMPLATE_PATTERN = '{{ $value }}, {{ $value | humanize | humanizePercentage | humanizeDuration | humanize1024 }}, {{ $labels.NAME }}';

const ACTION = /\{\{(.*?)\}\}/g;
const VALUE = /^\s*\$value\s*(?:\|\s*(humanize|humanizePercentage|humanizeDuration|humanize1024)\s*)?$/;
const LABEL = /^\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*$/;

/** Why the template is outside the subset, or undefined when it is fine. */
export function templateProblem(text: string): string | undefined {
  for (const m of text.matchAll(ACTION)) {
    const body = m[1] as string;
    if (!VALUE.test(body) && !LABEL.test(body)) return `unsupported template action {{${body}}}`;
  }
  const rest = text.replace(ACTION, '');
  if (rest.includes('{{') || rest.includes('}}')) return 'unbalanced {{ or }}';
  return undefined;
}

/** Renders a spec template exactly as Prometheus 2.x does (the rule unit tests compare both). */
export function renderTemplate(text: string, value: number, labels: Readonly<Record<string, string>> = {}): string {
  return text.replace(ACTION, (_all, body: string) => {
    const l = LABEL.exec(body);
    if (l) return labels[l[1] as string] ?? '';
    switch (VALUE.exec(body)?.[1]) {
      case 'humanize':
        return humanize(value);
      case 'humanize1024':
        return humanize1024(value);
      case 'humanizePercentage':
        return `${g4(value * 100)}%`;
      case 'humanizeDuration':
        return humanizeDuration(value);
      default:
        return goFloat(value);
    }
  });
}

/** Go's fmt "%.4g": 4 significant digits, exact ties rounded to even, trailing zeros dropped. */
export function g4(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  // 61 significant digits of the exact binary value are enough to see a tie.
  const [mant, expText] = Math.abs(v).toExponential(60).split('e') as [string, string];
  const digits = mant.replace('.', '');
  let exp = Number(expText);
  let head = Number(digits.slice(0, 4));
  const rest = digits.slice(4);
  const half = rest[0] === '5' && /^0*$/.test(rest.slice(1));
  if (rest[0] !== undefined && (rest[0] > '5' || (rest[0] === '5' && !half) || (half && head % 2 === 1))) head += 1;
  if (head === 10_000) {
    head = 1000;
    exp += 1;
  }
  const sign = v < 0 ? '-' : '';
  const d = String(head);
  if (exp < -4 || exp >= 4) {
    const m = `${d[0]}.${d.slice(1)}`.replace(/0+$/, '').replace(/\.$/, '');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  // Fixed notation: place the decimal point exp + 1 digits in.
  const point = exp + 1;
  const whole = point <= 0 ? `0.${'0'.repeat(-point)}${d}` : point >= 4 ? d + '0'.repeat(point - 4) : `${d.slice(0, point)}.${d.slice(point)}`;
  return sign + (whole.includes('.') ? whole.replace(/0+$/, '').replace(/\.$/, '') : whole);
}

/** Go's "%v" of a float64 (strconv 'g' with the shortest representation). */
function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const exp = v === 0 ? 0 : Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 21) {
    const [mant, e] = v.toExponential().split('e') as [string, string];
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(v);
}

const SMALL = ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];

function scaleDown(v: number): [number, string] {
  let prefix = '';
  for (const p of SMALL) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return [v, prefix];
}

function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  if (Math.abs(v) >= 1) {
    let prefix = '';
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return `${g4(v)}${prefix}`;
  }
  const [x, prefix] = scaleDown(v);
  return `${g4(x)}${prefix}`;
}

function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return `${g4(v)}${prefix}`;
}

function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return '0s';
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    const abs = Math.abs(v);
    const whole = Math.trunc(abs);
    const seconds = whole % 60;
    const minutes = Math.trunc(whole / 60) % 60;
    const hours = Math.trunc(whole / 3600) % 24;
    const days = Math.trunc(whole / 86_400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(abs)}s`;
  }
  const [x, prefix] = scaleDown(v);
  return `${g4(x)}${prefix}s`;
}
