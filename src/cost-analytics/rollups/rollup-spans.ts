import { GRAIN_MS, type RollupGrain } from './rollup-tables';

const { quarter: QUARTER, hour: HOUR, day: DAY } = GRAIN_MS;

/** A run of consecutive buckets of one grain, [from, to) in epoch ms, added (+1) or subtracted (−1). */
export interface RollupSpan {
  grain: RollupGrain;
  from: number;
  to: number;
  sign: 1 | -1;
}

export class UnalignedRangeError extends RangeError {}

/**
 * Spans whose signed sum over the rollups is exactly the usage in [from, to). Both ends
 * must fall on quarter hours. Reads as few buckets as it can: either the range directly
 * (quarters up to the hour, hours up to the day, days, then back down), or whole UTC days
 * from each end's nearer midnight with that end's partial day added or taken away (a
 * local day in UTC+1 is one day bucket plus one hour bucket minus another).
 */
export function rollupSpans(from: number, to: number): RollupSpan[] {
  if (from % QUARTER !== 0 || to % QUARTER !== 0) {
    throw new UnalignedRangeError(`range ${new Date(from).toISOString()} – ${new Date(to).toISOString()} is not on quarter hours`);
  }
  if (to <= from) return [];
  const direct = directSpans(from, to, 1);
  const anchored = anchoredSpans(from, to);
  return bucketCount(anchored) < bucketCount(direct) ? anchored : direct;
}

/** How many rollup rows per key the spans read. */
export function bucketCount(spans: readonly RollupSpan[]): number {
  return spans.reduce((sum, span) => sum + (span.to - span.from) / GRAIN_MS[span.grain], 0);
}

function floorTo(value: number, unit: number): number {
  return Math.floor(value / unit) * unit;
}

function ceilTo(value: number, unit: number): number {
  return Math.ceil(value / unit) * unit;
}

/** [from, to) from the finest grain up and back down: quarters to the hour, hours to the day, days, hours, quarters. */
function directSpans(from: number, to: number, sign: 1 | -1): RollupSpan[] {
  const spans: RollupSpan[] = [];
  const push = (grain: RollupGrain, start: number, end: number) => {
    if (start < end) spans.push({ grain, from: start, to: end, sign });
  };
  let at = from;
  const firstHour = Math.min(to, ceilTo(at, HOUR));
  push('quarter', at, firstHour);
  at = firstHour;
  const firstDay = Math.max(at, Math.min(floorTo(to, HOUR), ceilTo(at, DAY)));
  push('hour', at, firstDay);
  at = firstDay;
  if (at % DAY === 0) {
    const lastDay = Math.max(at, floorTo(to, DAY));
    push('day', at, lastDay);
    at = lastDay;
  }
  const lastHour = Math.max(at, floorTo(to, HOUR));
  push('hour', at, lastHour);
  push('quarter', lastHour, to);
  return spans;
}

/** An end of the range moved to a UTC midnight, and the partial day that move skipped over. */
interface Anchor {
  at: number;
  /** The partial day between the end and `at`; `before` when `at` is the midnight before the end. */
  partial: { from: number; to: number; before: boolean } | null;
}

function anchor(at: number): Anchor {
  const midnightBefore = floorTo(at, DAY);
  if (midnightBefore === at) return { at, partial: null };
  const midnightAfter = midnightBefore + DAY;
  const head = bucketCount(directSpans(midnightBefore, at, 1));
  const tail = bucketCount(directSpans(at, midnightAfter, 1));
  return head <= tail
    ? { at: midnightBefore, partial: { from: midnightBefore, to: at, before: true } }
    : { at: midnightAfter, partial: { from: at, to: midnightAfter, before: false } };
}

/**
 * usage[from, to) = days[a, b) − partial(from) + partial(to) when an end was moved back to
 * the midnight before it, with the signs swapped when it was moved forward; days[a, b)
 * with b < a is subtracted.
 */
function anchoredSpans(from: number, to: number): RollupSpan[] {
  const start = anchor(from);
  const end = anchor(to);
  const spans: RollupSpan[] = [];
  if (start.at < end.at) spans.push({ grain: 'day', from: start.at, to: end.at, sign: 1 });
  if (end.at < start.at) spans.push({ grain: 'day', from: end.at, to: start.at, sign: -1 });
  if (start.partial) spans.push(...directSpans(start.partial.from, start.partial.to, start.partial.before ? -1 : 1));
  if (end.partial) spans.push(...directSpans(end.partial.from, end.partial.to, end.partial.before ? 1 : -1));
  return spans;
}
