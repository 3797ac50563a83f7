import { priceAtSql } from './prices/price-at-sql';
import { ROLLUP_GRAINS, ROLLUP_TABLES, rollupBucketSql, TOTALS_TABLES } from './rollups/rollup-tables';

/** The rollup columns every write adds to, in this order. */
const ROLLUP_COLUMNS = ['items', 'tokens', 'local_tokens', 'cost_usd', 'unconfirmed_items', 'unconfirmed_tokens', 'unconfirmed_cost_usd'];

/**
 * The rollup upserts of one ledger write, from two CTEs it defines: `grouped` (per
 * created_at, model, category and purpose) and `call_total` (one row), both with the
 * deltas of every ROLLUP_COLUMNS column. Finest grain first, keyed tables before totals,
 * keys in order, so concurrent writers take row locks in the same order and never deadlock.
 */
function rollupUpsertsSql(shardParameter: string): string {
  const columns = ROLLUP_COLUMNS.join(', ');
  const add = (alias: string) => ROLLUP_COLUMNS.map((column) => `${column} = ${alias}.${column} + excluded.${column}`).join(',\n        ');
  const keyed = ROLLUP_GRAINS.map(
    (grain) => `, rollup_${grain} AS (
      INSERT INTO ${ROLLUP_TABLES[grain]} AS r (bucket, model_id, category, purpose, ${columns})
      SELECT ${rollupBucketSql(grain, 'created_at')}, model_id, category, purpose, ${columns}
      FROM grouped ORDER BY category NULLS FIRST, purpose
      ON CONFLICT (bucket, model_id, category, purpose) DO UPDATE SET
        ${add('r')}
    )`,
  );
  const totals = ROLLUP_GRAINS.map(
    (grain) => `, totals_${grain} AS (
      INSERT INTO ${TOTALS_TABLES[grain]} AS t (bucket, shard, ${columns})
      SELECT ${rollupBucketSql(grain, 'created_at')}, ${shardParameter}, ${columns}
      FROM call_total
      ON CONFLICT (bucket, shard) DO UPDATE SET
        ${add('t')}
    )`,
  );
  return keyed.join('') + totals.join('');
}

const CALL_TOTAL = `call_total AS (
      SELECT min(created_at) AS created_at, ${ROLLUP_COLUMNS.map((column) => `sum(${column}) AS ${column}`).join(', ')}
      FROM grouped HAVING count(*) > 0
    )`;

/**
 * The statement that records a provider call: the call, one ledger row per item and, in
 * the same statement (so the same transaction: no trigger to fail on its own, no second
 * round trip), the rollup upserts. Parameters, in order: call id, model id, call purpose,
 * request id, inputs, local tokens, reported tokens, duration ms, occurred at (null = the
 * database clock), billed tokens of the call, then one array per item field: qa pair ids,
 * categories, purposes, local tokens, billed tokens; the status (`unconfirmed`: recorded
 * before sending, billed = local; `confirmed`: recorded with the answer); the lane (`live`,
 * or `batch`: priced at the model's batch price); the trace id of the call (null when not
 * traced); last, with rollups only, the totals shard.
 *
 * The price is the one effective at the call's time (price-at-sql.ts); cost = billed
 * tokens × price × 10⁻⁶, exact numeric. An unconfirmed call counts in the rollups' sums
 * like any other and, besides, in their `unconfirmed_*` columns.
 */
export function ledgerWriteSql(options: { rollups: boolean }): string {
  return `
    WITH price AS (
      SELECT m.id AS model_id, COALESCE($9::timestamptz, now()) AS at, ${priceAtSql('COALESCE($9::timestamptz, now())', '$17::text')} AS per_million
      FROM embedding_models m WHERE m.id = $2
    ), call AS (
      INSERT INTO provider_calls (id, model_id, purpose, request_id, inputs, local_tokens, reported_tokens, duration_ms,
                                  created_at, price_per_million_tokens, cost_usd, status, settled_at, lane, trace_id)
      SELECT $1, price.model_id, $3, $4, $5, $6, $7, $8, price.at, price.per_million, $10::bigint * price.per_million * 0.000001,
             $16::text, CASE WHEN $16::text = 'unconfirmed' THEN NULL ELSE now() END, $17::text, $18::text
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
             sum(tokens) AS local_tokens, sum(cost_usd) AS cost_usd,
             count(*) * u.flag AS unconfirmed_items, sum(billed_tokens) * u.flag AS unconfirmed_tokens, sum(cost_usd) * u.flag AS unconfirmed_cost_usd
      FROM items, (SELECT CASE WHEN $16::text = 'unconfirmed' THEN 1 ELSE 0 END AS flag) AS u
      GROUP BY created_at, model_id, category, purpose, u.flag
    ), ${CALL_TOTAL}${rollupUpsertsSql('$19')}`
        : ''
    }
    SELECT count(*)::int AS calls FROM call`;
}

/**
 * Settles an unconfirmed call, once: `confirmed` with the provider's answer (each item
 * gets its share of the reported usage; the rollups move the call's estimate out of
 * `unconfirmed_*` and correct the sums by the difference) or `not_billed` (the provider
 * answered an error: the items leave the ledger and the rollups). A call already settled
 * is left alone, so a repeated settle never counts twice. Parameters: call id, outcome,
 * request id, reported tokens, duration ms, billed tokens of the call, billed tokens per
 * item (in the items' order), error, totals shard.
 */
export function ledgerSettleSql(): string {
  return `
    WITH call AS (
      UPDATE provider_calls c
      SET status = $2::text, request_id = COALESCE($3, c.request_id), reported_tokens = $4, duration_ms = $5, error = $8,
          settled_at = now(),
          cost_usd = CASE WHEN $2::text = 'confirmed' THEN $6::bigint * c.price_per_million_tokens * 0.000001 ELSE 0 END
      WHERE c.id = $1 AND c.status = 'unconfirmed'
      RETURNING c.id, c.price_per_million_tokens AS per_million
    ), estimated AS (
      SELECT l.id, l.model_id, l.category, l.purpose, l.tokens, l.billed_tokens, l.cost_usd, l.created_at, call.per_million,
             row_number() OVER (ORDER BY l.id) AS position
      FROM usage_ledger l JOIN call ON l.call_id = call.id
    ), settled AS (
      SELECT e.*, COALESCE(b.billed, 0) AS new_billed, COALESCE(b.billed, 0) * e.per_million * 0.000001 AS new_cost
      FROM estimated e
      LEFT JOIN unnest($7::int[]) WITH ORDINALITY AS b(billed, position) ON $2::text = 'confirmed' AND b.position = e.position
    ), confirmed_items AS (
      UPDATE usage_ledger l SET billed_tokens = s.new_billed, cost_usd = s.new_cost
      FROM settled s WHERE l.id = s.id AND $2::text = 'confirmed'
    ), not_billed_items AS (
      DELETE FROM usage_ledger l USING settled s WHERE l.id = s.id AND $2::text = 'not_billed'
    ), grouped AS (
      SELECT created_at, model_id, category, purpose,
             CASE WHEN $2::text = 'confirmed' THEN 0 ELSE -count(*) END AS items,
             sum(new_billed - billed_tokens) AS tokens,
             CASE WHEN $2::text = 'confirmed' THEN 0 ELSE -sum(tokens) END AS local_tokens,
             sum(new_cost - cost_usd) AS cost_usd,
             -count(*) AS unconfirmed_items, -sum(billed_tokens) AS unconfirmed_tokens, -sum(cost_usd) AS unconfirmed_cost_usd
      FROM settled GROUP BY created_at, model_id, category, purpose
    ), ${CALL_TOTAL}${rollupUpsertsSql('$9')}
    SELECT count(*)::int AS settled FROM call`;
}
