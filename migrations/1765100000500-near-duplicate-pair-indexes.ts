import type { MigrationInterface, QueryRunner } from 'typeorm';

const INDEXES = [
  { name: 'near_duplicates_qa_pair_a', column: 'qa_pair_a' },
  { name: 'near_duplicates_qa_pair_b_fk', column: 'qa_pair_b' },
];

/**
 * Indexes led by each foreign key of `near_duplicates` to `qa_pairs`: deleting a QA pair
 * cascades through both, and without them every delete scanned the table twice (the
 * existing indexes lead with model_id).
 *
 * Built CONCURRENTLY so writers are not blocked on a large table, hence outside a
 * transaction (`transaction = false`). A build that failed half-way leaves an invalid
 * index, which is dropped and built again on the next run.
 */
export class NearDuplicatePairIndexes1765100000500 implements MigrationInterface {
  name = 'NearDuplicatePairIndexes1765100000500';
  transaction = false;

  async up(db: QueryRunner): Promise<void> {
    await db.query(`SET statement_timeout = 0`);
    try {
      for (const { name, column } of INDEXES) {
        const [existing]: Array<{ valid: boolean }> = await db.query(
          `SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = to_regclass($1)`,
          [name],
        );
        if (existing?.valid) continue;
        if (existing) await db.query(`DROP INDEX CONCURRENTLY ${name}`);
        await db.query(`CREATE INDEX CONCURRENTLY ${name} ON near_duplicates (${column})`);
      }
    } finally {
      await db.query(`RESET statement_timeout`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const { name } of INDEXES) await db.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  }
}
