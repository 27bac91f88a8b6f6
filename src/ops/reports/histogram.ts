// Quantiles from Prometheus-style histogram buckets, estimated the way
// histogram_quantile does: linear interpolation inside the bucket holding the
// rank; in the +Inf bucket, the highest finite bound. Pure.

/**
 * @param le finite upper bounds, ascending
 * @param counts non-cumulative counts, one per bound plus the +Inf bucket last
 */
export function quantileFromBuckets(q: number, le: readonly number[], counts: readonly number[]): number | undefined {
  if (counts.length !== le.length + 1) throw new RangeError(`need ${le.length + 1} bucket counts, got ${counts.length}`);
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return undefined;
  const rank = q * total;
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    const before = cum;
    cum += counts[i]!;
    if (cum >= rank && counts[i]! > 0) {
      if (i === le.length) return le[le.length - 1];
      const lower = i === 0 ? 0 : le[i - 1]!;
      const upper = le[i]!;
      return lower + ((upper - lower) * (rank - before)) / counts[i]!;
    }
  }
  return le[le.length - 1];
}

/** Adds bucket arrays of the same layout. */
export function addBuckets(a: number[], b: readonly number[]): number[] {
  if (a.length === 0) return [...b];
  return a.map((v, i) => v + (b[i] ?? 0));
}
