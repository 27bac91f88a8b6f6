// Calendar arithmetic for reports: the months a date range touches, and which
// of its days the monthly rollups cover whole. Dates are 'YYYY-MM-DD' strings
// on the UTC calendar (posting dates have no time zone); months are 'YYYY-MM'.
import { invalid } from '../shared/app-error.ts';
import { requireDate } from '../shared/ids.ts';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
export const daysInMonth = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();
export const ymd = (d: Date): string => `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/** Longest range a report covers: 50 years of months. */
export const MAX_MONTHS = 600;

export interface DateRange {
  from: string;
  to: string;
}

export const monthOf = (date: string): string => date.slice(0, 7);
export const monthStart = (month: string): string => `${month}-01`;
export function monthEnd(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return `${month}-${pad(daysInMonth(y, m))}`;
}

export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const i = y * 12 + (m - 1) + n;
  return `${pad(Math.floor(i / 12), 4)}-${pad((i % 12) + 1)}`;
}

export function addDays(date: string, n: number): string {
  return ymd(new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000));
}

export function daysBetween(a: string, b: string): number {
  // Both are UTC midnights, so the difference is an exact multiple of a day.
  return (Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000;
}

/** Every month from `from`'s to `to`'s, inclusive. */
export function monthsOf(r: DateRange): string[] {
  const out: string[] = [];
  for (let m = monthOf(r.from); m <= monthOf(r.to); m = addMonths(m, 1)) out.push(m);
  return out;
}

/**
 * The report range from optional from/to: `to` defaults to today, `from` to the
 * first day of the month eleven months before `to` (twelve calendar months).
 */
export function resolveRange(from: string | undefined, to: string | undefined, today: string): DateRange {
  if (from !== undefined) requireDate('/query/from', from);
  if (to !== undefined) requireDate('/query/to', to);
  const t = to ?? today;
  const f = from ?? monthStart(addMonths(monthOf(t), -11));
  if (f > t) throw invalid('/query/from', `must not be after to (${t})`);
  if (monthsOf({ from: f, to: t }).length > MAX_MONTHS) throw invalid('/query/from', `a report covers at most ${MAX_MONTHS} months`);
  return { from: f, to: t };
}

/**
 * Splits a range into the whole months the rollups answer (`months`, possibly
 * none) and at most two partial stretches at the edges that need the base rows.
 */
export function coverage(r: DateRange): { months: { from: string; to: string } | undefined; partial: DateRange[] } {
  const fm = monthOf(r.from);
  const tm = monthOf(r.to);
  const firstWhole = r.from === monthStart(fm) ? fm : addMonths(fm, 1);
  const lastWhole = r.to === monthEnd(tm) ? tm : addMonths(tm, -1);
  if (firstWhole > lastWhole) return { months: undefined, partial: [r] };
  const partial: DateRange[] = [];
  if (firstWhole !== fm) partial.push({ from: r.from, to: monthEnd(fm) });
  if (lastWhole !== tm) partial.push({ from: monthStart(tm), to: r.to });
  return { months: { from: firstWhole, to: lastWhole }, partial };
}
