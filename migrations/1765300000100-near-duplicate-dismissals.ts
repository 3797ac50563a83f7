import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Near-duplicates a person dismissed as not duplicates (the console's review): one row per
 * two QA pairs (a < b), with the content hashes both had when dismissed. A dismissal counts
 * only while both pairs keep that content: an edit makes the two worth a look again.
 * Deleting either pair deletes the row (foreign keys; `qa_pair_a` leads the unique index,
 * `qa_pair_b` its own).
 */
export class NearDuplicateDismissals1765300000100 implements MigrationInterface {
  name = 'NearDuplicateDismissals1765300000100';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE near_duplicate_dismissals (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        qa_pair_a uuid NOT NULL REFERENCES qa_pairs (id) ON DELETE CASCADE,
        qa_pair_b uuid NOT NULL REFERENCES qa_pairs (id) ON DELETE CASCADE,
        content_hash_a text NOT NULL,
        content_hash_b text NOT NULL,
        reason text,
        dismissed_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT near_duplicate_dismissals_pair UNIQUE (qa_pair_a, qa_pair_b),
        CHECK (qa_pair_a < qa_pair_b)
      )`);
    await db.query(`CREATE INDEX near_duplicate_dismissals_qa_pair_b ON near_duplicate_dismissals (qa_pair_b)`);
    await db.query(`CREATE INDEX near_duplicate_dismissals_dismissed_at ON near_duplicate_dismissals (dismissed_at DESC)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS near_duplicate_dismissals`);
  }
}
