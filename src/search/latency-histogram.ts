/**
 * Fixed latency buckets (upper bounds in ms, about 25 % apart) and the percentile over
 * bucket counts: what lets every API process add its searches to one histogram in Redis
 * and any process read the cluster's p99 back. Pure.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300, 400, 500, 600, 800, 1_000, 1_500, 2_000, 3_000, 5_000,
  10_000, 30_000,
];

/** Buckets: one per bound, plus one for anything above the last. */
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

/** The bucket a latency falls in: the first whose upper bound holds it. */
export function latencyBucket(ms: number): number {
  let low = 0;
  let high = LATENCY_BOUNDS_MS.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (ms <= LATENCY_BOUNDS_MS[mid]) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * The q-th quantile (0 < q ≤ 1) of the latencies counted in `counts` (indexed by bucket),
 * interpolated linearly inside its bucket as Prometheus' histogram_quantile does; the
 * overflow bucket answers with the last bound. Null without samples.
 */
export function percentileOfBuckets(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let below = 0;
  for (let bucket = 0; bucket < counts.length; bucket++) {
    const count = counts[bucket];
    if (count > 0 && below + count >= rank) {
      if (bucket >= LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
      const lower = bucket === 0 ? 0 : LATENCY_BOUNDS_MS[bucket - 1];
      return lower + (LATENCY_BOUNDS_MS[bucket] - lower) * ((rank - below) / count);
    }
    below += count;
  }
  return null;
}
