import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Embedding model migrations: one row per migration, the truth about its state, cursor and
 * progress (Redis only carries its queued jobs and may lose them).
 */
export class ModelMigrations1764600000400 implements MigrationInterface {
  name = 'ModelMigrations1764600000400';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE model_migrations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        from_model_id integer NOT NULL REFERENCES embedding_models (id),
        to_model_id integer NOT NULL REFERENCES embedding_models (id),
        state text NOT NULL CHECK (state IN ('running', 'paused', 'ready', 'cut_over', 'rolled_back', 'cancelled', 'failed')),
        batch_size integer NOT NULL CHECK (batch_size BETWEEN 1 AND 2048),
        auto_cutover boolean NOT NULL,
        max_failure_share numeric(5, 4) NOT NULL CHECK (max_failure_share BETWEEN 0 AND 1),
        cursor uuid,
        pass integer NOT NULL DEFAULT 1 CHECK (pass >= 1),
        total integer NOT NULL DEFAULT 0,
        completed integer NOT NULL DEFAULT 0,
        failed integer NOT NULL DEFAULT 0,
        running_ms bigint NOT NULL DEFAULT 0,
        pairs_per_second double precision,
        estimate jsonb NOT NULL,
        comparison jsonb,
        reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        progress_at timestamptz,
        filled_at timestamptz,
        cut_over_at timestamptz,
        rolled_back_at timestamptz,
        ended_at timestamptz,
        cleanup_requested_at timestamptz,
        cleaned_at timestamptz,
        CHECK (from_model_id <> to_model_id)
      )`);
    // One migration at a time per model pair, enforced here rather than by a check-then-insert race.
    await db.query(`
      CREATE UNIQUE INDEX model_migrations_one_in_progress ON model_migrations (from_model_id, to_model_id)
      WHERE state IN ('running', 'paused', 'ready')`);
    await db.query(`CREATE INDEX model_migrations_created_at ON model_migrations (created_at DESC, id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS model_migrations`);
  }
}
