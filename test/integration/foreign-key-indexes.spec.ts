import { Client } from 'pg';
import { createTestDatabase, dropTestDatabase } from '../support/test-database';

interface ForeignKey {
  table: string;
  name: string;
  columns: string[];
  referenced: string;
}

/**
 * Tables whose rows are never deleted nor re-keyed, so a foreign key to them is never
 * checked from their side: an index on the referencing column (`model_id` of the ledger,
 * dead letters…) would cost every write and serve no query.
 */
const NEVER_DELETED = ['embedding_models'];

/**
 * Every foreign key of the migrated schema must lead an index (its columns, in any order,
 * are an index's first columns). Without one, deleting or re-keying a referenced row scans
 * the referencing table once per foreign key (issue 10 item 20: every QA pair delete
 * scanned near_duplicates twice).
 */
describe('schema: foreign keys are indexed', () => {
  let database: { name: string; url: string };
  let db: Client;
  const query = async <Row>(sql: string): Promise<Row[]> => (await db.query(sql)).rows as Row[];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new Client({ connectionString: database.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    if (database) await dropTestDatabase(database.name);
  });

  it('every foreign key column list leads an index of its table', async () => {
    const foreignKeys = await query<ForeignKey>(`
      SELECT c.conrelid::regclass::text AS table, c.conname AS name, c.confrelid::regclass::text AS referenced,
             array_agg(a.attname::text ORDER BY k.ordinality) AS columns
      FROM pg_constraint c
      CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ordinality)
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
      WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
      GROUP BY c.conrelid, c.conname, c.confrelid`);
    const indexes = await query<{ table: string; name: string; columns: string[] }>(`
      SELECT i.indrelid::regclass::text AS table, i.indexrelid::regclass::text AS name,
             array_agg(a.attname::text ORDER BY k.ordinality) AS columns
      FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ordinality)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid::regclass::text IN (SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f')
        AND i.indpred IS NULL
      GROUP BY i.indrelid, i.indexrelid`);
    expect(foreignKeys.length).toBeGreaterThan(0);

    const leads = (index: { columns: string[] }, fk: ForeignKey) =>
      fk.columns.every((column) => index.columns.slice(0, fk.columns.length).includes(column));
    const uncovered = foreignKeys
      .filter((fk) => !NEVER_DELETED.includes(fk.referenced))
      .filter((fk) => !indexes.some((index) => index.table === fk.table && leads(index, fk)))
      .map((fk) => `${fk.table}.${fk.name} (${fk.columns.join(', ')})`)
      .sort();
    expect(uncovered).toEqual([]);
  });
});
