// Capacity trend: an ordinary least-squares line through (time, value) points
// and the value it reaches 6 and 12 months after the newest point. Pure.

export interface Fit {
  /** Change per day. */
  slopePerDay: number;
  /** Value of the line at the newest point's time. */
  atLast: number;
  /** Coefficient of determination, 0-1 (1 when every point is on the line; 1 for a flat series too). */
  r2: number;
  points: number;
  /** Days between the oldest and the newest point. */
  spanDays: number;
}

const DAY_MS = 86_400_000;
export const MONTH_DAYS = 365.25 / 12;

/** Least squares over (x, y); undefined with fewer than two distinct x values. */
export function linearRegression(points: ReadonlyArray<{ x: number; y: number }>): { slope: number; intercept: number; r2: number } | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  // Centre x for numerical stability (epoch milliseconds are large).
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    const dx = p.x - mx;
    const dy = p.y - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy === 0 ? 1 : Math.max(0, Math.min(1, (sxy * sxy) / (sxx * syy)));
  return { slope, intercept, r2 };
}

/** Fits value over time (in days); undefined without two points at different times. */
export function fitTrend(series: ReadonlyArray<{ at: Date; value: number }>): Fit | undefined {
  if (series.length < 2) return undefined;
  const t0 = Math.min(...series.map((p) => p.at.getTime()));
  const last = Math.max(...series.map((p) => p.at.getTime()));
  const fit = linearRegression(series.map((p) => ({ x: (p.at.getTime() - t0) / DAY_MS, y: p.value })));
  if (!fit) return undefined;
  const lastDay = (last - t0) / DAY_MS;
  return { slopePerDay: fit.slope, atLast: fit.intercept + fit.slope * lastDay, r2: fit.r2, points: series.length, spanDays: lastDay };
}

/** The line's value `months` after the newest point, never below zero (counts and sizes cannot go negative). */
export function forecast(fit: Fit, months: number): number {
  return Math.max(0, fit.atLast + fit.slopePerDay * months * MONTH_DAYS);
}
