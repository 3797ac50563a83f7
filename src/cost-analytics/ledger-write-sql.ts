import { priceAtSql } from './prices/price-at-sql';
import { ROLLUP_GRAINS, ROLLUP_TABLES, rollupBucketSql, TOTALS_TABLES } from './rollups/rollup-tables';

/**
 * The one statement that records a provider call: the call, one ledger row per item and,
 * in the same statement (so the same transaction: no trigger to fail on its own, no
 * second round trip), the rollup upserts. Parameters, in order: call id, model id, call
 * purpose, request id, inputs, local tokens, reported tokens, duration ms, occurred at
 * (null = the database clock), billed tokens of the call, then one array per item field:
 * qa pair ids, categories, purposes, local tokens, billed tokens; last, with rollups only,
 * the totals shard.
 *
 * The price is the one effective at the call's time (price-at-sql.ts); cost = billed
 * tokens × price × 10⁻⁶, exact numeric.
 *
 * Rollup rows are upserted finest grain first, keyed tables before totals, and in key
 * order, so concurrent writers take row locks in the same order and never deadlock.
 */
export function ledgerWriteSql(options: { rollups: boolean }): string {
  const rollupUpserts = ROLLUP_GRAINS.map(
    (grain) => `, rollup_${grain} AS (
      INSERT INTO ${ROLLUP_TABLES[grain]} AS r (bucket, model_id, category, purpose, items, tokens, local_tokens, cost_usd)
      SELECT ${rollupBucketSql(grain, 'created_at')}, model_id, category, purpose, items, tokens, local_tokens, cost_usd
      FROM grouped ORDER BY category NULLS FIRST, purpose
      ON CONFLICT (bucket, model_id, category, purpose) DO UPDATE SET
        items = r.items + excluded.items,
        tokens = r.tokens + excluded.tokens,
        local_tokens = r.local_tokens + excluded.local_tokens,
        cost_usd = r.cost_usd + excluded.cost_usd
    )`,
  );
  const totalsUpserts = ROLLUP_GRAINS.map(
    (grain) => `, totals_${grain} AS (
      INSERT INTO ${TOTALS_TABLES[grain]} AS t (bucket, shard, items, tokens, local_tokens, cost_usd)
      SELECT ${rollupBucketSql(grain, 'created_at')}, $16, items, tokens, local_tokens, cost_usd
      FROM call_total
      ON CONFLICT (bucket, shard) DO UPDATE SET
        items = t.items + excluded.items,
        tokens = t.tokens + excluded.tokens,
        local_tokens = t.local_tokens + excluded.local_tokens,
        cost_usd = t.cost_usd + excluded.cost_usd
    )`,
  );
  return `
    WITH price AS (
      SELECT m.id AS model_id, COALESCE($9::timestamptz, now()) AS at, ${priceAtSql('COALESCE($9::timestamptz, now())')} AS per_million
      FROM embedding_models m WHERE m.id = $2
    ), call AS (
      INSERT INTO provider_calls (id, model_id, purpose, request_id, inputs, local_tokens, reported_tokens, duration_ms,
                                  created_at, price_per_million_tokens, cost_usd)
      SELECT $1, price.model_id, $3, $4, $5, $6, $7, $8, price.at, price.per_million, $10::bigint * price.per_million * 0.000001
      FROM price
      RETURNING id, model_id, created_at, price_per_million_tokens
    ), items AS (
      INSERT INTO usage_ledger (call_id, model_id, qa_pair_id, category, purpose, tokens, billed_tokens, cost_usd, created_at)
      SELECT call.id, call.model_id, item.qa_pair_id, item.category, item.purpose, item.tokens, item.billed,
             item.billed * call.price_per_million_tokens * 0.000001, call.created_at
      FROM call, unnest($11::uuid[], $12::text[], $13::text[], $14::int[], $15::int[]) AS item(qa_pair_id, category, purpose, tokens, billed)
      RETURNING model_id, category, purpose, tokens, billed_tokens, cost_usd, created_at
    )${
      options.rollups
        ? `, grouped AS (
      SELECT created_at, model_id, category, purpose, count(*) AS items, sum(billed_tokens) AS tokens,
             sum(tokens) AS local_tokens, sum(cost_usd) AS cost_usd
      FROM items GROUP BY created_at, model_id, category, purpose
    ), call_total AS (
      SELECT min(created_at) AS created_at, sum(items) AS items, sum(tokens) AS tokens,
             sum(local_tokens) AS local_tokens, sum(cost_usd) AS cost_usd
      FROM grouped HAVING count(*) > 0
    )${rollupUpserts.join('')}${totalsUpserts.join('')}`
        : ''
    }
    SELECT count(*)::int AS calls FROM call`;
}
