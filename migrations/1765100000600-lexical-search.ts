import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Full-text search over question and answer: a generated `tsvector` (question weighted
 * above answer) with a GIN index, and the text search configuration it was built with.
 * The configuration is the deployment's `SEARCH_TEXT_CONFIG` when this migration runs
 * (default `english`); search reads it back from `lexical_search_settings`, so queries are
 * always parsed the way the documents were.
 */
export class LexicalSearch1765100000600 implements MigrationInterface {
  name = 'LexicalSearch1765100000600';

  async up(db: QueryRunner): Promise<void> {
    const requested = process.env.SEARCH_TEXT_CONFIG?.trim() || 'english';
    const [{ config }]: Array<{ config: string | null }> = await db.query(`SELECT (SELECT cfgname FROM pg_ts_config WHERE cfgname = $1) AS config`, [
      requested,
    ]);
    if (!config) throw new Error(`SEARCH_TEXT_CONFIG: PostgreSQL has no text search configuration named ${requested}`);
    const regconfig = `'${config.replace(/'/g, "''")}'::regconfig`;
    await db.query(`CREATE TABLE lexical_search_settings (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      text_config text NOT NULL
    )`);
    await db.query(`INSERT INTO lexical_search_settings (text_config) VALUES ($1)`, [config]);
    await db.query(`
      ALTER TABLE qa_pairs ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector(${regconfig}, question), 'A') || setweight(to_tsvector(${regconfig}, answer), 'B')
      ) STORED`);
    await db.query(`CREATE INDEX qa_pairs_search_document ON qa_pairs USING gin (search_document)`);

    // What the query-embedding cache saved, per UTC day and model, priced when it was saved.
    await db.query(`
      CREATE TABLE search_cache_savings (
        day date NOT NULL,
        model_id integer NOT NULL REFERENCES embedding_models (id),
        hits bigint NOT NULL DEFAULT 0,
        tokens bigint NOT NULL DEFAULT 0,
        cost_usd numeric(20, 12) NOT NULL DEFAULT 0,
        PRIMARY KEY (day, model_id)
      )`);
    await db.query(`CREATE INDEX search_cache_savings_model_id ON search_cache_savings (model_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE search_cache_savings`);
    await db.query(`DROP INDEX qa_pairs_search_document`);
    await db.query(`ALTER TABLE qa_pairs DROP COLUMN search_document`);
    await db.query(`DROP TABLE lexical_search_settings`);
  }
}
