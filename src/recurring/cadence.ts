// Cadences of recurring bills: how far apart occurrences are, how far from its
// expected date a payment may land and still count, and the next expected date.
// Month-based cadences keep an anchor day (the 31st becomes the 30th in April
// and the 28th or 29th in February, and the 31st again in May).
import type { Cadence } from '../db/schema-parts/reports.ts';
import { addDays, addMonths, daysInMonth, monthOf } from '../reports/periods.ts';

export interface CadenceRule {
  /** Days between occurrences, or months for month-based cadences. */
  days?: number;
  months?: number;
  /** Intervals (days) that count as this cadence when detecting a series. */
  min: number;
  max: number;
  /** A payment this many days before or after the expected date still matches. */
  window: number;
}

export const CADENCE_RULES: Record<Cadence, CadenceRule> = {
  weekly: { days: 7, min: 6, max: 8, window: 2 },
  biweekly: { days: 14, min: 12, max: 16, window: 3 },
  monthly: { months: 1, min: 26, max: 35, window: 5 },
  quarterly: { months: 3, min: 80, max: 100, window: 10 },
  yearly: { months: 12, min: 350, max: 380, window: 15 },
};

/** The occurrence after `date` (anchor_day: the day of month month-based cadences fall on). */
export function nextOccurrence(cadence: Cadence, date: string, anchorDay: number): string {
  const r = CADENCE_RULES[cadence];
  if (r.days) return addDays(date, r.days);
  const m = addMonths(monthOf(date), r.months!);
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return `${m}-${String(Math.min(anchorDay, daysInMonth(y, mo))).padStart(2, '0')}`;
}

/** Whole-day period of a cadence, for "alive" checks (months count as 31 days). */
export function periodDays(cadence: Cadence): number {
  const r = CADENCE_RULES[cadence];
  return r.days ?? r.months! * 31;
}
