/**
 * Usage is summed as it is written into rollup tables of UTC buckets. Fifteen minutes is
 * the finest: every time zone in use today is a whole number of quarter hours from UTC
 * (India +5:30, Nepal +5:45, Chatham +12:45), so any local day is a whole number of
 * quarter-hour buckets; hours, days and weeks (Monday to Monday, UTC) make long ranges
 * cheap to read. Each grain has a keyed table (model, category, purpose) and an unkeyed
 * totals table, whose rows are sharded so that concurrent writers do not all queue on
 * one row lock.
 */
export type RollupGrain = 'quarter' | 'hour' | 'day' | 'week';

/** Finest first: the order every writer upserts in, so concurrent writers never deadlock. */
export const ROLLUP_GRAINS: readonly RollupGrain[] = ['quarter', 'hour', 'day', 'week'];

export const GRAIN_MS: Record<RollupGrain, number> = {
  quarter: 15 * 60_000,
  hour: 60 * 60_000,
  day: 24 * 60 * 60_000,
  week: 7 * 24 * 60 * 60_000,
};

/** Where bucket boundaries start counting: the Unix epoch, but weeks from the first Monday after it. */
export const GRAIN_ORIGIN_MS: Record<RollupGrain, number> = { quarter: 0, hour: 0, day: 0, week: Date.UTC(1970, 0, 5) };

export const ROLLUP_TABLES: Record<RollupGrain, string> = {
  quarter: 'usage_rollup_15m',
  hour: 'usage_rollup_1h',
  day: 'usage_rollup_1d',
  week: 'usage_rollup_1w',
};

export const TOTALS_TABLES: Record<RollupGrain, string> = {
  quarter: 'usage_totals_15m',
  hour: 'usage_totals_1h',
  day: 'usage_totals_1d',
  week: 'usage_totals_1w',
};

/** Rows per bucket in the totals tables; a call writes to one, chosen from its id. */
export const TOTALS_SHARDS = 4;

const BIN_WIDTH: Record<RollupGrain, string> = { quarter: '15 minutes', hour: '1 hour', day: '1 day', week: '7 days' };

/** SQL for the bucket a timestamptz falls in: aligned to fixed UTC origins, so whatever the session's TimeZone. */
export function rollupBucketSql(grain: RollupGrain, column: string): string {
  return `date_bin('${BIN_WIDTH[grain]}', ${column}, timestamptz '${new Date(GRAIN_ORIGIN_MS[grain]).toISOString()}')`;
}

/** The totals shard a call writes to: any spread works, this one is stable per call id. */
export function totalsShard(callId: string): number {
  let hash = 0;
  for (let i = 0; i < callId.length; i++) hash = (hash * 31 + callId.charCodeAt(i)) >>> 0;
  return hash % TOTALS_SHARDS;
}
