import type { MigrationInterface, QueryRunner } from 'typeorm';

const GRAINS = [
  { suffix: '15m', bucket: `date_bin('15 minutes', created_at, timestamptz 'epoch')` },
  { suffix: '1h', bucket: `date_bin('1 hour', created_at, timestamptz 'epoch')` },
  { suffix: '1d', bucket: `date_bin('1 day', created_at, timestamptz 'epoch')` },
  // Monday to Monday, so a UTC ISO week is one bucket.
  { suffix: '1w', bucket: `date_bin('7 days', created_at, timestamptz '1970-01-05T00:00:00Z')` },
];

/**
 * Cost analytics: billed tokens per ledger item (the provider's reported usage shared out
 * over the call's items), price history, usage rollups at 15 min / 1 h / 1 day / 1 week (UTC
 * buckets; reports in any time zone combine them, see src/cost-analytics/README.md),
 * keyed by model, category and purpose, plus unkeyed totals; budgets and their alerts.
 * Rollups are backfilled from the ledger once, here.
 */
export class CostAnalytics1764600000300 implements MigrationInterface {
  name = 'CostAnalytics1764600000300';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE provider_calls
        ADD COLUMN price_per_million_tokens numeric(14, 6),
        ADD COLUMN cost_usd numeric(20, 12)`);
    await db.query(`CREATE INDEX provider_calls_token_difference ON provider_calls (created_at) WHERE token_difference <> 0`);

    await db.query(`ALTER TABLE usage_ledger ADD COLUMN billed_tokens integer`);
    await db.query(`UPDATE usage_ledger SET billed_tokens = tokens`);
    await db.query(`
      ALTER TABLE usage_ledger
        ALTER COLUMN billed_tokens SET NOT NULL,
        ADD CONSTRAINT usage_ledger_billed_tokens_check CHECK (billed_tokens >= 0)`);

    await db.query(`
      CREATE TABLE model_prices (
        id bigserial PRIMARY KEY,
        model_id integer NOT NULL REFERENCES embedding_models (id),
        price_per_million_tokens numeric(14, 6) NOT NULL CHECK (price_per_million_tokens >= 0),
        effective_from timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (model_id, effective_from)
      )`);

    for (const { suffix, bucket } of GRAINS) {
      // Keyed sums. No foreign keys: the ledger rows they sum carry them, and the upsert stays one index probe.
      await db.query(`
        CREATE TABLE usage_rollup_${suffix} (
          bucket timestamptz NOT NULL,
          model_id integer NOT NULL,
          category text,
          purpose text NOT NULL,
          items bigint NOT NULL,
          tokens bigint NOT NULL,
          local_tokens bigint NOT NULL,
          cost_usd numeric(24, 12) NOT NULL,
          CONSTRAINT usage_rollup_${suffix}_key UNIQUE NULLS NOT DISTINCT (bucket, model_id, category, purpose)
        )`);
      // All usage of a bucket, spread over a few shard rows so concurrent writers do not queue on one row lock.
      await db.query(`
        CREATE TABLE usage_totals_${suffix} (
          bucket timestamptz NOT NULL,
          shard smallint NOT NULL,
          items bigint NOT NULL,
          tokens bigint NOT NULL,
          local_tokens bigint NOT NULL,
          cost_usd numeric(24, 12) NOT NULL,
          PRIMARY KEY (bucket, shard)
        )`);
      await db.query(`
        INSERT INTO usage_rollup_${suffix} (bucket, model_id, category, purpose, items, tokens, local_tokens, cost_usd)
        SELECT ${bucket}, model_id, category, purpose, count(*), sum(billed_tokens), sum(tokens), sum(cost_usd)
        FROM usage_ledger GROUP BY 1, 2, 3, 4`);
      await db.query(`
        INSERT INTO usage_totals_${suffix} (bucket, shard, items, tokens, local_tokens, cost_usd)
        SELECT ${bucket}, 0, count(*), sum(billed_tokens), sum(tokens), sum(cost_usd)
        FROM usage_ledger GROUP BY 1`);
    }

    await db.query(`
      CREATE TABLE cost_budgets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        period text NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly')),
        limit_usd numeric(20, 6) NOT NULL CHECK (limit_usd > 0),
        thresholds_percent integer[] NOT NULL CHECK (cardinality(thresholds_percent) BETWEEN 1 AND 10),
        category text,
        model_id integer REFERENCES embedding_models (id),
        time_zone text NOT NULL DEFAULT 'UTC',
        hard_cap boolean NOT NULL DEFAULT false,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    // The unique key is what makes an alert fire once per budget, period and threshold,
    // however many schedulers check at once.
    await db.query(`
      CREATE TABLE cost_alerts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        budget_id uuid NOT NULL REFERENCES cost_budgets (id),
        period_start date NOT NULL,
        period_starts_at timestamptz NOT NULL,
        period_ends_at timestamptz NOT NULL,
        threshold_percent integer NOT NULL,
        level text NOT NULL CHECK (level IN ('warning', 'exceeded')),
        spent_usd numeric(24, 12) NOT NULL,
        limit_usd numeric(20, 6) NOT NULL,
        fired_at timestamptz NOT NULL DEFAULT now(),
        webhook_status text NOT NULL CHECK (webhook_status IN ('not_configured', 'pending', 'delivered', 'failed')),
        webhook_attempts integer NOT NULL DEFAULT 0,
        webhook_next_attempt_at timestamptz,
        webhook_last_error text,
        webhook_delivered_at timestamptz,
        UNIQUE (budget_id, period_start, threshold_percent)
      )`);
    await db.query(`CREATE INDEX cost_alerts_fired_at ON cost_alerts (fired_at DESC, id)`);
    await db.query(`CREATE INDEX cost_alerts_webhook_due ON cost_alerts (webhook_next_attempt_at) WHERE webhook_status = 'pending'`);
  }

  async down(db: QueryRunner): Promise<void> {
    const rollups = GRAINS.flatMap(({ suffix }) => [`usage_rollup_${suffix}`, `usage_totals_${suffix}`]);
    for (const table of ['cost_alerts', 'cost_budgets', ...rollups, 'model_prices']) {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await db.query(`ALTER TABLE usage_ledger DROP COLUMN IF EXISTS billed_tokens`);
    await db.query(`DROP INDEX IF EXISTS provider_calls_token_difference`);
    await db.query(`ALTER TABLE provider_calls DROP COLUMN IF EXISTS price_per_million_tokens, DROP COLUMN IF EXISTS cost_usd`);
  }
}
