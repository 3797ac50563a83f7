import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Batch API lane: a batch price per model with its own history (`model_prices.lane`;
 * without one, half the registered price), the lane of every provider call, the batches
 * (one row each, with their items) and the lane a migration runs on.
 */
export class BatchLane1765200000200 implements MigrationInterface {
  name = 'BatchLane1765200000200';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE embedding_models ADD COLUMN batch_price_per_million_tokens numeric(14, 6) CHECK (batch_price_per_million_tokens >= 0)`,
    );
    await db.query(`ALTER TABLE model_prices ADD COLUMN lane text NOT NULL DEFAULT 'live' CHECK (lane IN ('live', 'batch'))`);
    await db.query(`ALTER TABLE model_prices DROP CONSTRAINT model_prices_model_id_effective_from_key`);
    await db.query(`ALTER TABLE model_prices ADD CONSTRAINT model_prices_model_lane_effective_from_key UNIQUE (model_id, lane, effective_from)`);
    await db.query(`ALTER TABLE provider_calls ADD COLUMN lane text NOT NULL DEFAULT 'live' CHECK (lane IN ('live', 'batch'))`);
    await db.query(`ALTER TABLE model_migrations ADD COLUMN lane text NOT NULL DEFAULT 'live' CHECK (lane IN ('live', 'batch'))`);

    // Bulk work other than a migration on the lane: a bulk import's pairs, for the model active then.
    await db.query(`
      CREATE TABLE batch_backfills (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        model_id integer NOT NULL REFERENCES embedding_models (id),
        purpose text NOT NULL CHECK (purpose IN ('ingest')),
        state text NOT NULL CHECK (state IN ('running', 'completed')),
        pairs integer NOT NULL,
        cursor uuid,
        pass integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
    await db.query(`CREATE INDEX batch_backfills_running ON batch_backfills (created_at) WHERE state = 'running'`);
    await db.query(`CREATE INDEX batch_backfills_model_id ON batch_backfills (model_id)`);
    await db.query(`
      CREATE TABLE batch_backfill_pairs (
        backfill_id uuid NOT NULL REFERENCES batch_backfills (id) ON DELETE CASCADE,
        qa_pair_id uuid NOT NULL REFERENCES qa_pairs (id) ON DELETE CASCADE,
        PRIMARY KEY (backfill_id, qa_pair_id)
      )`);
    await db.query(`CREATE INDEX batch_backfill_pairs_qa_pair_id ON batch_backfill_pairs (qa_pair_id)`);

    await db.query(`
      CREATE TABLE embedding_batches (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        model_id integer NOT NULL REFERENCES embedding_models (id),
        migration_id uuid REFERENCES model_migrations (id) ON DELETE SET NULL,
        backfill_id uuid REFERENCES batch_backfills (id) ON DELETE SET NULL,
        purpose text NOT NULL CHECK (purpose IN ('migration', 'ingest')),
        -- 'building' until the provider has it, then the provider's status; done once imported_at is set.
        state text NOT NULL CHECK (state IN ('building', 'validating', 'in_progress', 'finalizing', 'completed', 'failed', 'expired',
                                               'cancelling', 'cancelled')),
        provider_batch_id text UNIQUE,
        input_file_id text,
        output_file_id text,
        error_file_id text,
        requests integer NOT NULL CHECK (requests > 0),
        tokens integer NOT NULL,
        completed_requests integer NOT NULL DEFAULT 0,
        failed_requests integer NOT NULL DEFAULT 0,
        embedded integer NOT NULL DEFAULT 0,
        dead_lettered integer NOT NULL DEFAULT 0,
        sent_back integer NOT NULL DEFAULT 0,
        ledger_call_id uuid NOT NULL,
        cancel_requested boolean NOT NULL DEFAULT false,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        submitted_at timestamptz,
        expires_at timestamptz,
        ended_at timestamptz,
        imported_at timestamptz,
        polled_at timestamptz
      )`);
    await db.query(`CREATE INDEX embedding_batches_open ON embedding_batches (created_at) WHERE imported_at IS NULL`);
    await db.query(`CREATE INDEX embedding_batches_migration_id ON embedding_batches (migration_id)`);
    await db.query(`CREATE INDEX embedding_batches_backfill_id ON embedding_batches (backfill_id)`);
    await db.query(`CREATE INDEX embedding_batches_model_id ON embedding_batches (model_id)`);
    // No foreign key to qa_pairs: a pair deleted while its batch runs simply has nothing to import.
    await db.query(`
      CREATE TABLE embedding_batch_items (
        batch_id uuid NOT NULL REFERENCES embedding_batches (id) ON DELETE CASCADE,
        position integer NOT NULL,
        qa_pair_id uuid NOT NULL,
        content_hash text NOT NULL,
        category text,
        tokens integer NOT NULL,
        -- Set by the import: embedded, dead_lettered, failed (a transient line error), not_run (expired, cancelled) or superseded.
        outcome text CHECK (outcome IN ('embedded', 'dead_lettered', 'failed', 'not_run', 'superseded')),
        PRIMARY KEY (batch_id, position)
      )`);
    // A pair's transient failures on the lane are counted across batches (its retry limit).
    await db.query(`CREATE INDEX embedding_batch_items_failed ON embedding_batch_items (qa_pair_id) WHERE outcome = 'failed'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS embedding_batch_items`);
    await db.query(`DROP TABLE IF EXISTS embedding_batches`);
    await db.query(`DROP TABLE IF EXISTS batch_backfill_pairs`);
    await db.query(`DROP TABLE IF EXISTS batch_backfills`);
    await db.query(`ALTER TABLE model_migrations DROP COLUMN lane`);
    await db.query(`ALTER TABLE provider_calls DROP COLUMN lane`);
    await db.query(`ALTER TABLE model_prices DROP CONSTRAINT model_prices_model_lane_effective_from_key`);
    await db.query(`DELETE FROM model_prices WHERE lane = 'batch'`);
    await db.query(`ALTER TABLE model_prices ADD CONSTRAINT model_prices_model_id_effective_from_key UNIQUE (model_id, effective_from)`);
    await db.query(`ALTER TABLE model_prices DROP COLUMN lane`);
    await db.query(`ALTER TABLE embedding_models DROP COLUMN batch_price_per_million_tokens`);
  }
}
