import { nextWindowBatches, pacingBudgetMs, windowPairs } from '../../src/model-migration/migration-pacing';
import { LATENCY_BOUNDS_MS, LATENCY_BUCKETS, latencyBucket, percentileOfBuckets } from '../../src/search/latency-histogram';

function histogram(latencies: number[]): number[] {
  const counts = new Array<number>(LATENCY_BUCKETS).fill(0);
  for (const ms of latencies) counts[latencyBucket(ms)]++;
  return counts;
}

describe('latency histogram', () => {
  it('puts a latency in the first bucket whose upper bound holds it; beyond the last, the overflow bucket', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(1)).toBe(0);
    expect(latencyBucket(1.01)).toBe(1);
    expect(latencyBucket(100)).toBe(LATENCY_BOUNDS_MS.indexOf(100));
    expect(latencyBucket(101)).toBe(LATENCY_BOUNDS_MS.indexOf(120));
    expect(latencyBucket(30_000)).toBe(LATENCY_BOUNDS_MS.length - 1);
    expect(latencyBucket(1e9)).toBe(LATENCY_BUCKETS - 1);
  });

  it('reads a percentile back within its bucket, interpolated; null without samples', () => {
    expect(percentileOfBuckets(new Array<number>(LATENCY_BUCKETS).fill(0), 0.99)).toBeNull();
    // 99 fast searches (4–5 ms) and one slow (250–300 ms): p99 is the 99th, still fast; p100 the slow one.
    const counts = histogram([...Array.from({ length: 99 }, () => 4.5), 280]);
    expect(percentileOfBuckets(counts, 0.99)).toBe(5);
    expect(percentileOfBuckets(counts, 1)).toBe(300);
    // Two slow ones in 100: p99 lands among them.
    const slower = histogram([...Array.from({ length: 98 }, () => 4.5), 280, 290]);
    expect(percentileOfBuckets(slower, 0.99)).toBeGreaterThan(250);
    expect(percentileOfBuckets(slower, 0.99)).toBeLessThanOrEqual(300);
    // Linear inside the bucket: half of a bucket's samples reach half way through it.
    const even = histogram(Array.from({ length: 10 }, () => 45));
    expect(percentileOfBuckets(even, 0.5)).toBeCloseTo(45, 5);
    // The overflow bucket answers with the last bound.
    expect(percentileOfBuckets(histogram([60_000]), 0.99)).toBe(30_000);
  });
});

describe('pacing budget', () => {
  it('is the lower of the absolute budget and ratio × idle p99, each off when unset', () => {
    expect(pacingBudgetMs({ searchP99Ratio: 2, searchP99Ms: undefined }, 20)).toBe(40);
    expect(pacingBudgetMs({ searchP99Ratio: 2, searchP99Ms: 30 }, 20)).toBe(30);
    expect(pacingBudgetMs({ searchP99Ratio: 2, searchP99Ms: 100 }, 20)).toBe(40);
    expect(pacingBudgetMs({ searchP99Ratio: 2, searchP99Ms: 100 }, null)).toBe(100);
    expect(pacingBudgetMs({ searchP99Ratio: 2, searchP99Ms: undefined }, null)).toBeNull();
    expect(pacingBudgetMs({ searchP99Ratio: undefined, searchP99Ms: undefined }, 20)).toBeNull();
  });
});

describe('AIMD window', () => {
  const slow = { p99Ms: 90, samples: 200 };
  const fast = { p99Ms: 20, samples: 200 };

  it('halves above the budget, below one batch down to a sixteenth, never zero', () => {
    const seen = [20];
    for (let i = 0; i < 10; i++) seen.push(nextWindowBatches(seen[seen.length - 1], 20, slow, 50));
    expect(seen).toEqual([20, 10, 5, 2.5, 1.25, 0.625, 0.3125, 0.15625, 0.078125, 1 / 16, 1 / 16]);
    expect(windowPairs(1 / 16, 100)).toBe(6);
    expect(windowPairs(1 / 16, 8)).toBe(1);
  });

  it('grows from a fraction of a batch to the next whole one', () => {
    expect(nextWindowBatches(1 / 16, 20, fast, 50)).toBe(1);
    expect(nextWindowBatches(2.5, 20, fast, 50)).toBe(3);
  });

  it('grows by one batch at or below the budget, up to the maximum', () => {
    expect(nextWindowBatches(1, 20, fast, 50)).toBe(2);
    expect(nextWindowBatches(19, 20, fast, 50)).toBe(20);
    expect(nextWindowBatches(20, 20, fast, 50)).toBe(20);
    expect(nextWindowBatches(3, 20, { p99Ms: 50, samples: 200 }, 50)).toBe(4);
  });

  it('does not shrink without searches, with too few to tell, or without a budget', () => {
    expect(nextWindowBatches(4, 20, { p99Ms: null, samples: 0 }, 50)).toBe(5);
    expect(nextWindowBatches(4, 20, { p99Ms: 900, samples: 4 }, 50)).toBe(5);
    expect(nextWindowBatches(4, 20, slow, null)).toBe(5);
  });

  it('brings a stored window back inside its bounds (MIGRATION_WINDOW_BATCHES lowered, or garbage)', () => {
    expect(nextWindowBatches(50, 20, fast, 50)).toBe(20);
    expect(nextWindowBatches(50, 20, slow, 50)).toBe(10);
    expect(nextWindowBatches(0, 20, slow, 50)).toBe(1 / 16);
    expect(nextWindowBatches(Number.NaN, 20, slow, 50)).toBe(10);
  });
});
