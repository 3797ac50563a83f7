import type { MigrationInterface, QueryRunner } from 'typeorm';

const ROLLUPS = ['15m', '1h', '1d', '1w'].flatMap((suffix) => [`usage_rollup_${suffix}`, `usage_totals_${suffix}`]);

/**
 * Unconfirmed spend: a provider call is recorded before it is sent (`unconfirmed`, its
 * items at their locally counted tokens), then `confirmed` with the provider's reported
 * usage or `not_billed` when the provider answered an error. A call whose answer never
 * came stays `unconfirmed`. Rollups keep counting it in their sums and say how much of
 * them is unconfirmed (see src/cost-analytics/README.md). Existing calls were recorded
 * after their answer: confirmed.
 */
export class UnconfirmedSpend1765100000400 implements MigrationInterface {
  name = 'UnconfirmedSpend1765100000400';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE provider_calls
        ADD COLUMN status text NOT NULL DEFAULT 'confirmed' CHECK (status IN ('unconfirmed', 'confirmed', 'not_billed')),
        ADD COLUMN settled_at timestamptz,
        ADD COLUMN error text`);
    await db.query(`CREATE INDEX provider_calls_unconfirmed ON provider_calls (created_at) WHERE status = 'unconfirmed'`);
    await db.query(`CREATE INDEX usage_ledger_call_id ON usage_ledger (call_id)`);
    for (const table of ROLLUPS) {
      await db.query(`
        ALTER TABLE ${table}
          ADD COLUMN unconfirmed_items bigint NOT NULL DEFAULT 0,
          ADD COLUMN unconfirmed_tokens bigint NOT NULL DEFAULT 0,
          ADD COLUMN unconfirmed_cost_usd numeric(24, 12) NOT NULL DEFAULT 0`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ROLLUPS) {
      await db.query(`ALTER TABLE ${table} DROP COLUMN unconfirmed_items, DROP COLUMN unconfirmed_tokens, DROP COLUMN unconfirmed_cost_usd`);
    }
    await db.query(`DROP INDEX IF EXISTS usage_ledger_call_id`);
    await db.query(`DROP INDEX IF EXISTS provider_calls_unconfirmed`);
    await db.query(`ALTER TABLE provider_calls DROP COLUMN status, DROP COLUMN settled_at, DROP COLUMN error`);
  }
}
