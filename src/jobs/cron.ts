// Five-field cron expressions (minute hour day-of-month month day-of-week) with
// Vixie cron semantics, evaluated in UTC. Pure: no clock, no I/O.
//
// Day matching follows Vixie: a field counts as "unrestricted" when its text
// starts with '*' (so '*/2' is unrestricted for this rule, as in Vixie and
// cronie). When both day fields are restricted a day matches if EITHER matches;
// otherwise both must match (the unrestricted one matches every day anyway).

export const CRON_FIELDS = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;
export type CronField = (typeof CRON_FIELDS)[number];

export const CRON_ALIASES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export class CronError extends Error {
  constructor(
    readonly expression: string,
    readonly field: CronField | undefined,
    readonly token: string | undefined,
    detail: string,
  ) {
    super(`invalid cron expression ${JSON.stringify(expression)}: ${field ? `${field}: ` : ''}${detail}`);
    this.name = 'CronError';
  }
}

export interface CronSchedule {
  readonly source: string;
  /** Sorted, distinct allowed values per field; day-of-week uses 0-6 (0 = Sunday). */
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  readonly daysOfWeek: readonly number[];
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
}

interface FieldSpec {
  field: CronField;
  min: number;
  max: number;
  names?: readonly string[];
  /** Index of names[0] (JAN = 1, SUN = 0). */
  nameBase?: number;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DOW_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const SPECS: readonly FieldSpec[] = [
  { field: 'minute', min: 0, max: 59 },
  { field: 'hour', min: 0, max: 23 },
  { field: 'day-of-month', min: 1, max: 31 },
  { field: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  // 7 is accepted as a second spelling of Sunday and folded to 0 after expansion.
  { field: 'day-of-week', min: 0, max: 7, names: DOW_NAMES, nameBase: 0 },
];

// Longest day count per month, leap years included, so '29 2' is satisfiable.
const MAX_DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function allowedText(spec: FieldSpec): string {
  const range = `${spec.min}-${spec.max}`;
  return spec.names ? `${range} or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : range;
}

function parseValue(expr: string, spec: FieldSpec, text: string, token: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) {
      throw new CronError(expr, spec.field, token, `${JSON.stringify(text)} is out of range (allowed ${allowedText(spec)})`);
    }
    return n;
  }
  if (spec.names) {
    const idx = spec.names.indexOf(text.toUpperCase());
    if (idx >= 0) return idx + (spec.nameBase ?? 0);
  }
  throw new CronError(expr, spec.field, token, `${JSON.stringify(text)} is not a number${spec.names ? ' or name' : ''} (allowed ${allowedText(spec)})`);
}

function parseField(expr: string, spec: FieldSpec, text: string): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new CronError(expr, spec.field, text, `empty list item in ${JSON.stringify(text)}`);
    const slash = item.split('/');
    if (slash.length > 2) throw new CronError(expr, spec.field, item, `${JSON.stringify(item)} has more than one '/'`);
    const [base = '', stepText] = slash;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        throw new CronError(expr, spec.field, item, `step ${JSON.stringify(stepText)} in ${JSON.stringify(item)} must be a positive integer`);
      }
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (base === '*') {
      lo = spec.min;
      hi = spec.field === 'day-of-week' ? 6 : spec.max;
    } else {
      const dash = base.split('-');
      if (dash.length > 2) throw new CronError(expr, spec.field, item, `${JSON.stringify(item)} is not a valid range`);
      if (dash.length === 1) {
        // Vixie rejects 'N/step'; accepting it silently invites a wrong guess at what it means.
        if (stepText !== undefined) {
          throw new CronError(expr, spec.field, item, `step in ${JSON.stringify(item)} needs a range or '*' before '/'`);
        }
        lo = hi = parseValue(expr, spec, base, item);
      } else {
        lo = parseValue(expr, spec, dash[0] ?? '', item);
        hi = parseValue(expr, spec, dash[1] ?? '', item);
        if (lo > hi) throw new CronError(expr, spec.field, item, `range ${JSON.stringify(base)} runs backwards`);
      }
    }
    for (let v = lo; v <= hi; v += step) values.add(spec.field === 'day-of-week' && v === 7 ? 0 : v);
  }
  return [...values].sort((a, b) => a - b);
}

/** Parses a 5-field expression or an @alias; throws CronError naming the field and token. */
export function parseCron(expression: string): CronSchedule {
  const trimmed = expression.trim();
  let body = trimmed;
  if (trimmed.startsWith('@')) {
    const alias = CRON_ALIASES[trimmed.toLowerCase()];
    if (!alias) {
      throw new CronError(expression, undefined, trimmed, `unknown alias ${JSON.stringify(trimmed)} (allowed ${Object.keys(CRON_ALIASES).join(' ')})`);
    }
    body = alias;
  }
  const parts = body === '' ? [] : body.split(/\s+/);
  if (parts.length !== 5) {
    throw new CronError(expression, undefined, undefined, `expected 5 fields (${CRON_FIELDS.join(' ')}), got ${parts.length}`);
  }
  const sets = parts.map((p, i) => parseField(expression, SPECS[i]!, p));
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = sets as [number[], number[], number[], number[], number[]];
  const domRestricted = !parts[2]!.startsWith('*');
  const dowRestricted = !parts[4]!.startsWith('*');
  // With day-of-week unrestricted only day-of-month decides, so e.g. '30 2' would never fire.
  if (!dowRestricted && !months.some((m) => daysOfMonth.some((d) => d <= MAX_DAYS_IN_MONTH[m - 1]!))) {
    throw new CronError(expression, 'day-of-month', parts[2], `no day in ${JSON.stringify(parts[2])} exists in month(s) ${JSON.stringify(parts[3])}`);
  }
  return { source: expression, minutes, hours, daysOfMonth, months, daysOfWeek, domRestricted, dowRestricted };
}

function dayMatches(s: CronSchedule, dom: number, dow: number): boolean {
  const domOk = s.daysOfMonth.includes(dom);
  const dowOk = s.daysOfWeek.includes(dow);
  return s.domRestricted && s.dowRestricted ? domOk || dowOk : domOk && dowOk;
}

/** True when the UTC minute containing `date` is a slot of the schedule. */
export function matches(schedule: CronSchedule | string, date: Date): boolean {
  const s = typeof schedule === 'string' ? parseCron(schedule) : schedule;
  return (
    s.minutes.includes(date.getUTCMinutes()) &&
    s.hours.includes(date.getUTCHours()) &&
    s.months.includes(date.getUTCMonth() + 1) &&
    dayMatches(s, date.getUTCDate(), date.getUTCDay())
  );
}

const MINUTE_MS = 60_000;
// The rarest satisfiable schedules ('29 2' AND a weekday via the '*/n' rule)
// recur within about 40 years; past 50 the search gives up rather than spin.
const SEARCH_YEARS = 50;
const SEARCH_LIMIT_MS = SEARCH_YEARS * 366 * 24 * 60 * MINUTE_MS;

/** The first slot strictly after `after`, in UTC, at whole minutes. */
export function nextAfter(schedule: CronSchedule | string, after: Date): Date {
  const s = typeof schedule === 'string' ? parseCron(schedule) : schedule;
  const start = after.getTime();
  if (!Number.isFinite(start)) throw new RangeError('nextAfter: invalid date');
  let t = Math.floor(start / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const limit = t + SEARCH_LIMIT_MS;
  while (t <= limit) {
    const d = new Date(t);
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth();
    const day = d.getUTCDate();
    const hour = d.getUTCHours();
    const minute = d.getUTCMinutes();
    if (!s.months.includes(month + 1)) {
      t = Date.UTC(year, month + 1, 1);
      continue;
    }
    if (!dayMatches(s, day, d.getUTCDay())) {
      t = Date.UTC(year, month, day + 1);
      continue;
    }
    const h = s.hours.find((x) => x >= hour);
    if (h === undefined) {
      t = Date.UTC(year, month, day + 1);
      continue;
    }
    if (h > hour) {
      t = Date.UTC(year, month, day, h, s.minutes[0]);
      return new Date(t);
    }
    const m = s.minutes.find((x) => x >= minute);
    if (m === undefined) {
      t = Date.UTC(year, month, day, hour + 1);
      continue;
    }
    return new Date(Date.UTC(year, month, day, hour, m));
  }
  throw new RangeError(`cron expression ${JSON.stringify(s.source)} has no slot within ${SEARCH_YEARS} years after ${after.toISOString()}`);
}
