import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retrieval-quality evaluation: labelled queries (a query and the QA pairs that should
 * answer it), opted-in captured search queries, evaluations of a model on them, the
 * migration quality gate (its settings, verdict and a cutover's recorded reason), shadow
 * searches' agreement per migration, and two new ledger purposes for their tokens.
 */
export class RetrievalEvaluation1765200000100 implements MigrationInterface {
  name = 'RetrievalEvaluation1765200000100';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE evaluation_queries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        query text NOT NULL,
        category text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One labelled query per text: importing a file again updates its answers instead of doubling it.
    await db.query(`CREATE UNIQUE INDEX evaluation_queries_query ON evaluation_queries (md5(query))`);
    await db.query(`CREATE INDEX evaluation_queries_created_at ON evaluation_queries (created_at DESC, id)`);
    await db.query(`
      CREATE TABLE evaluation_query_answers (
        query_id uuid NOT NULL REFERENCES evaluation_queries (id) ON DELETE CASCADE,
        qa_pair_id uuid NOT NULL REFERENCES qa_pairs (id) ON DELETE CASCADE,
        PRIMARY KEY (query_id, qa_pair_id)
      )`);
    await db.query(`CREATE INDEX evaluation_query_answers_qa_pair_id ON evaluation_query_answers (qa_pair_id)`);

    await db.query(`
      CREATE TABLE captured_queries (
        id bigserial PRIMARY KEY,
        query text NOT NULL,
        category text,
        captured_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX captured_queries_captured_at ON captured_queries (captured_at)`);

    await db.query(`
      CREATE TABLE retrieval_evaluations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        model_id integer NOT NULL REFERENCES embedding_models (id),
        baseline_model_id integer REFERENCES embedding_models (id),
        migration_id uuid REFERENCES model_migrations (id) ON DELETE SET NULL,
        status text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
        labelled_queries integer NOT NULL DEFAULT 0,
        captured_queries integer NOT NULL DEFAULT 0,
        progress real NOT NULL DEFAULT 0,
        results jsonb,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await db.query(`CREATE INDEX retrieval_evaluations_created_at ON retrieval_evaluations (created_at DESC, id)`);
    await db.query(`CREATE INDEX retrieval_evaluations_model_id ON retrieval_evaluations (model_id)`);
    await db.query(`CREATE INDEX retrieval_evaluations_baseline_model_id ON retrieval_evaluations (baseline_model_id)`);
    await db.query(`CREATE INDEX retrieval_evaluations_migration_id ON retrieval_evaluations (migration_id)`);

    await db.query(`
      ALTER TABLE model_migrations
        ADD COLUMN gate_metric text NOT NULL DEFAULT 'recall@10' CHECK (gate_metric IN ('recall@1', 'recall@5', 'recall@10', 'mrr@10', 'ndcg@10')),
        ADD COLUMN gate_margin numeric(5, 4) NOT NULL DEFAULT 0.01 CHECK (gate_margin BETWEEN 0 AND 1),
        ADD COLUMN gate jsonb,
        ADD COLUMN cutover_reason text`);

    await db.query(`
      CREATE TABLE shadow_searches (
        migration_id uuid PRIMARY KEY REFERENCES model_migrations (id) ON DELETE CASCADE,
        searches bigint NOT NULL DEFAULT 0,
        overlap_sum double precision NOT NULL DEFAULT 0,
        rbo_sum double precision NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await db.query(`ALTER TABLE usage_ledger DROP CONSTRAINT usage_ledger_purpose_check`);
    await db.query(`
      ALTER TABLE usage_ledger ADD CONSTRAINT usage_ledger_purpose_check
        CHECK (purpose IN ('ingest', 'update', 'migration', 'drift', 'search', 'evaluation', 'shadow'))`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE usage_ledger DROP CONSTRAINT usage_ledger_purpose_check`);
    await db.query(
      `ALTER TABLE usage_ledger ADD CONSTRAINT usage_ledger_purpose_check CHECK (purpose IN ('ingest', 'update', 'migration', 'drift', 'search'))`,
    );
    await db.query(`DROP TABLE IF EXISTS shadow_searches`);
    await db.query(`ALTER TABLE model_migrations DROP COLUMN gate_metric, DROP COLUMN gate_margin, DROP COLUMN gate, DROP COLUMN cutover_reason`);
    await db.query(`DROP TABLE IF EXISTS retrieval_evaluations`);
    await db.query(`DROP TABLE IF EXISTS captured_queries`);
    await db.query(`DROP TABLE IF EXISTS evaluation_query_answers`);
    await db.query(`DROP TABLE IF EXISTS evaluation_queries`);
  }
}
