// Date values of the query language, resolved to inclusive [from, to] day
// ranges. Relative dates are computed from an injected `now` in UTC (ledgers
// have no time zone yet), so the same query gives the same days in tests.
import type { DateBound, DateTest } from './ast.ts';

export const DATE_BOUND = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
export const LAST_N_DAYS = /^last-(\d{1,5})-days$/;
export const MAX_LAST_DAYS = 36_600;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const ymd = (d: Date) => `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const utc = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d));

/** True when the bound names a real year, month or day (years 1000-9999). */
export function isValidDateBound(s: string): boolean {
  const m = DATE_BOUND.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  if (y < 1000) return false;
  if (m[2] === undefined) return true;
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12) return false;
  if (m[3] === undefined) return true;
  const d = Number(m[3]);
  return d >= 1 && d <= daysInMonth(y, mo);
}

/** First day a bound covers ("2024-03" -> "2024-03-01"). */
export function firstDay(b: DateBound): string {
  const [y, m = '01', d = '01'] = b.split('-');
  return `${y}-${m}-${d}`;
}

/** Last day a bound covers ("2024-02" -> "2024-02-29"). */
export function lastDay(b: DateBound): string {
  const [y, m, d] = b.split('-');
  if (m === undefined) return `${y}-12-31`;
  if (d === undefined) return `${y}-${m}-${pad(daysInMonth(Number(y), Number(m)))}`;
  return b;
}

/** Inclusive day range (YYYY-MM-DD strings; undefined = open) a date test covers on `now`'s UTC calendar. */
export function resolveDates(t: DateTest, now: Date): { from: string | undefined; to: string | undefined } {
  if (t.kind === 'range') return { from: t.from === undefined ? undefined : firstDay(t.from), to: t.to === undefined ? undefined : lastDay(t.to) };
  const y = now.getUTCFullYear();
  const mo = now.getUTCMonth() + 1;
  const d = now.getUTCDate();
  const today = utc(y, mo, d);
  const shift = (days: number) => new Date(today.getTime() + days * 86_400_000);
  const n = LAST_N_DAYS.exec(t.name);
  if (n) return { from: ymd(shift(1 - Number(n[1]))), to: ymd(today) };
  switch (t.name) {
    case 'today':
      return { from: ymd(today), to: ymd(today) };
    case 'yesterday':
      return { from: ymd(shift(-1)), to: ymd(shift(-1)) };
    case 'this-week': {
      // ISO weeks: Monday to Sunday.
      const back = (today.getUTCDay() + 6) % 7;
      return { from: ymd(shift(-back)), to: ymd(shift(6 - back)) };
    }
    case 'this-month':
      return { from: ymd(utc(y, mo, 1)), to: ymd(utc(y, mo, daysInMonth(y, mo))) };
    case 'last-month': {
      const py = mo === 1 ? y - 1 : y;
      const pm = mo === 1 ? 12 : mo - 1;
      return { from: ymd(utc(py, pm, 1)), to: ymd(utc(py, pm, daysInMonth(py, pm))) };
    }
    case 'this-year':
      return { from: `${pad(y, 4)}-01-01`, to: `${pad(y, 4)}-12-31` };
    case 'last-year':
      return { from: `${pad(y - 1, 4)}-01-01`, to: `${pad(y - 1, 4)}-12-31` };
    default:
      throw new Error(`unhandled relative date ${t.name}`);
  }
}
