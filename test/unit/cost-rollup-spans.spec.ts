import { allocateBilledTokens } from '../../src/cost-analytics/billed-tokens';
import { bucketCount, rollupSpans, UnalignedRangeError } from '../../src/cost-analytics/rollups/rollup-spans';
import { GRAIN_MS, type RollupGrain } from '../../src/cost-analytics/rollups/rollup-tables';
import { SeededRandom } from '../../src/compare/near-duplicates/seeded-random';

const Q = GRAIN_MS.quarter;
const H = GRAIN_MS.hour;
const D = GRAIN_MS.day;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const DAYS = 50;

describe('rollup spans', () => {
  // Random usage per quarter hour over 50 days, summed into hour, day and week buckets as the write path does.
  const random = new SeededRandom(7);
  const quarters = Array.from({ length: (DAYS * D) / Q }, () => Math.floor(random.next() * 1000));
  const sumOf = (from: number, to: number) => quarters.slice((from - T0) / Q, (to - T0) / Q).reduce((a, b) => a + b, 0);
  const bucket = (grain: RollupGrain, start: number) => sumOf(start, start + GRAIN_MS[grain]);
  const viaSpans = (from: number, to: number) =>
    rollupSpans(from, to).reduce((total, span) => {
      let sum = 0;
      for (let at = span.from; at < span.to; at += GRAIN_MS[span.grain]) sum += bucket(span.grain, at);
      return total + span.sign * sum;
    }, 0);

  it('sums exactly what lies in any quarter-aligned range', () => {
    for (let i = 0; i < 3000; i++) {
      // Spans may reach a week beyond either end of [a, b); the data covers that too.
      const a = T0 + 8 * D + Q * Math.floor(random.next() * ((20 * D) / Q));
      const b = a + Q * Math.floor(random.next() * ((i % 3 === 0 ? 11 * D : D + 2 * H) / Q));
      expect(viaSpans(a, b)).toBe(sumOf(a, b));
    }
  });

  it('reads one day and two hour buckets for a local day in UTC+1, and few for quarter-hour zones', () => {
    expect(bucketCount(rollupSpans(T0 + D - H, T0 + 2 * D - H))).toBe(3);
    // India: local midnight at 18:30 UTC.
    expect(bucketCount(rollupSpans(T0 + 18 * H + 2 * Q, T0 + D + 18 * H + 2 * Q))).toBeLessThanOrEqual(15);
    // 90 days from Sunday March 1st: 12 weeks from Monday, the Sunday before and a few days after.
    expect(bucketCount(rollupSpans(T0, T0 + 90 * D))).toBeLessThanOrEqual(17);
    expect(bucketCount(rollupSpans(T0 + 10 * H, T0 + 10 * H + Q))).toBe(1);
  });

  it('refuses ranges off the quarter hour', () => {
    expect(() => rollupSpans(T0 + 60_000, T0 + D)).toThrow(UnalignedRangeError);
  });
});

describe('billed tokens', () => {
  it('keeps the local counts when the provider agrees or does not say', () => {
    expect(allocateBilledTokens([3, 4], 7)).toEqual([3, 4]);
    expect(allocateBilledTokens([3, 4], undefined)).toEqual([3, 4]);
  });

  it('shares a difference out in proportion, summing exactly to the reported total', () => {
    expect(allocateBilledTokens([50, 50, 1], 111)).toEqual([55, 55, 1]);
    expect(allocateBilledTokens([10, 10, 10], 29)).toEqual([10, 10, 9]);
    expect(allocateBilledTokens([0, 0], 5)).toEqual([3, 2]);
    const shares = allocateBilledTokens([8191, 17, 333, 1], 9000);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(9000);
  });
});
