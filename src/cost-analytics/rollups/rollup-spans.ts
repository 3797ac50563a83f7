import { GRAIN_MS, GRAIN_ORIGIN_MS, ROLLUP_GRAINS, type RollupGrain } from './rollup-tables';

/** A run of consecutive buckets of one grain, [from, to) in epoch ms, added (+1) or subtracted (−1). */
export interface RollupSpan {
  grain: RollupGrain;
  from: number;
  to: number;
  sign: 1 | -1;
}

export class UnalignedRangeError extends RangeError {}

/**
 * Spans whose signed sum over the rollups is exactly the usage in [from, to); both ends
 * on quarter hours. With P(x) the usage before x: usage = P(to) − P(from). Each end is
 * moved to a nearby boundary of a coarse grain (the one before it or the one after,
 * whichever is cheaper), the coarse buckets between the two are added (or subtracted if
 * the ends crossed), and what each move skipped is expressed the same way one grain finer,
 * down to quarter hours. The cheapest choice over all grains wins: a local day in UTC+1 is
 * one day bucket + one hour bucket − another; 90 days are about 13 weeks plus a few days.
 */
export function rollupSpans(from: number, to: number): RollupSpan[] {
  const quarter = GRAIN_MS.quarter;
  if (from % quarter !== 0 || to % quarter !== 0) {
    throw new UnalignedRangeError(`range ${new Date(from).toISOString()} – ${new Date(to).toISOString()} is not on quarter hours`);
  }
  if (to <= from) return [];
  // Costs first (buckets read per key), spans only for the winner: this runs for every day of a report.
  let best = { cost: (to - from) / quarter, level: 0, start: from, end: to };
  for (let level = 1; level < ROLLUP_GRAINS.length; level++) {
    const size = GRAIN_MS[ROLLUP_GRAINS[level]];
    for (const start of anchors(from, ROLLUP_GRAINS[level])) {
      for (const end of anchors(to, ROLLUP_GRAINS[level])) {
        const cost = Math.abs(end - start) / size + prefixCost(end, to, level - 1) + prefixCost(start, from, level - 1);
        if (cost < best.cost) best = { cost, level, start, end };
      }
    }
  }
  const { level, start, end } = best;
  // P(to) − P(from) = [P(end) − P(start)] + [P(to) − P(end)] − [P(from) − P(start)]
  return [
    ...between(ROLLUP_GRAINS[level], start, end, 1),
    ...(level > 0 ? [...prefixSpans(end, to, level - 1, 1), ...prefixSpans(start, from, level - 1, -1)] : []),
  ];
}

/** How many rollup rows per key the spans read. */
export function bucketCount(spans: readonly RollupSpan[]): number {
  return spans.reduce((sum, span) => sum + (span.to - span.from) / GRAIN_MS[span.grain], 0);
}

function floorAt(at: number, grain: RollupGrain): number {
  const size = GRAIN_MS[grain];
  const origin = GRAIN_ORIGIN_MS[grain];
  return Math.floor((at - origin) / size) * size + origin;
}

/** The boundaries of `grain` at or around `at`: itself if on one, else the one before and the one after. */
function anchors(at: number, grain: RollupGrain): number[] {
  const before = floorAt(at, grain);
  return before === at ? [at] : [before, before + GRAIN_MS[grain]];
}

/** `sign` × the buckets of `grain` from a to b, both on its boundaries: subtracted where b < a. */
function between(grain: RollupGrain, a: number, b: number, sign: 1 | -1): RollupSpan[] {
  if (a === b) return [];
  return a < b ? [{ grain, from: a, to: b, sign }] : [{ grain, from: b, to: a, sign: sign === 1 ? -1 : 1 }];
}

/** Buckets read for P(at) − P(anchor), `anchor` on a boundary of grain `level` (so of every finer one), from that grain down. */
function prefixCost(anchor: number, at: number, level: number): number {
  if (at === anchor) return 0;
  const grain = ROLLUP_GRAINS[level];
  if (level === 0) return Math.abs(at - anchor) / GRAIN_MS[grain];
  return Math.min(...anchors(at, grain).map((next) => Math.abs(next - anchor) / GRAIN_MS[grain] + prefixCost(next, at, level - 1)));
}

/** `sign` × (P(at) − P(anchor)) as spans, by the cheapest choice `prefixCost` found. */
function prefixSpans(anchor: number, at: number, level: number, sign: 1 | -1): RollupSpan[] {
  if (at === anchor) return [];
  const grain = ROLLUP_GRAINS[level];
  if (level === 0) return between(grain, anchor, at, sign);
  const cost = (next: number) => Math.abs(next - anchor) / GRAIN_MS[grain] + prefixCost(next, at, level - 1);
  const next = anchors(at, grain).reduce((best, candidate) => (cost(candidate) < cost(best) ? candidate : best));
  return [...between(grain, anchor, next, sign), ...prefixSpans(next, at, level - 1, sign)];
}
