import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Comparison tools: background runs (near-duplicate scans, drift checks) with their stored
 * results, and the near-duplicates recorded when a pair is embedded.
 */
export class Compare1764600000500 implements MigrationInterface {
  name = 'Compare1764600000500';

  async up(db: QueryRunner): Promise<void> {
    // One row per background run. Redis only carries the job; the run's state, progress and
    // results live here, so a run interrupted by a lost worker or a Redis wipe stays visible.
    await db.query(`
      CREATE TABLE compare_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('near_duplicate_scan', 'drift_check')),
        model_id integer NOT NULL REFERENCES embedding_models (id),
        status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'interrupted')),
        attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
        requested_by text NOT NULL CHECK (requested_by IN ('api', 'canary')),
        parameters jsonb NOT NULL,
        progress real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
        phase text,
        summary jsonb,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        heartbeat_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX compare_runs_kind_created_at ON compare_runs (kind, created_at DESC)`);

    // Results are a snapshot of the run: no foreign key to qa_pairs, a later delete keeps them.
    await db.query(`
      CREATE TABLE near_duplicate_scan_pairs (
        run_id uuid NOT NULL REFERENCES compare_runs (id) ON DELETE CASCADE,
        rank integer NOT NULL,
        qa_pair_a uuid NOT NULL,
        qa_pair_b uuid NOT NULL,
        similarity double precision NOT NULL,
        PRIMARY KEY (run_id, rank)
      )`);
    await db.query(`
      CREATE TABLE near_duplicate_scan_clusters (
        run_id uuid NOT NULL REFERENCES compare_runs (id) ON DELETE CASCADE,
        rank integer NOT NULL,
        qa_pair_ids uuid[] NOT NULL,
        PRIMARY KEY (run_id, rank)
      )`);

    await db.query(`
      CREATE TABLE drift_reports (
        run_id uuid PRIMARY KEY REFERENCES compare_runs (id) ON DELETE CASCADE,
        sample_size integer NOT NULL CHECK (sample_size >= 0),
        mean_similarity double precision,
        min_similarity double precision,
        p5_similarity double precision,
        tolerance double precision NOT NULL,
        below_tolerance integer NOT NULL CHECK (below_tolerance >= 0),
        verdict text NOT NULL CHECK (verdict IN ('stable', 'drifted', 'no_data')),
        tokens integer NOT NULL CHECK (tokens >= 0),
        lowest jsonb NOT NULL,
        checked_at timestamptz NOT NULL
      )`);

    // Found at ingestion: valid while both pairs still have the content they were compared at.
    await db.query(`
      CREATE TABLE near_duplicates (
        model_id integer NOT NULL REFERENCES embedding_models (id),
        qa_pair_a uuid NOT NULL REFERENCES qa_pairs (id) ON DELETE CASCADE,
        qa_pair_b uuid NOT NULL REFERENCES qa_pairs (id) ON DELETE CASCADE,
        content_hash_a text NOT NULL,
        content_hash_b text NOT NULL,
        similarity double precision NOT NULL,
        detected_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_id, qa_pair_a, qa_pair_b),
        CHECK (qa_pair_a < qa_pair_b)
      )`);
    await db.query(`CREATE INDEX near_duplicates_pair_b ON near_duplicates (model_id, qa_pair_b)`);
    await db.query(`CREATE INDEX near_duplicates_similarity ON near_duplicates (model_id, similarity DESC)`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['near_duplicates', 'drift_reports', 'near_duplicate_scan_clusters', 'near_duplicate_scan_pairs', 'compare_runs']) {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
