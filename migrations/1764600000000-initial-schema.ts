import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The core schema: QA pairs, embedding models, embeddings (all models in one table with a
 * partial HNSW index per model), the provider-call ledger and dead letters.
 */
export class InitialSchema1764600000000 implements MigrationInterface {
  name = 'InitialSchema1764600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE EXTENSION IF NOT EXISTS vector`);

    await db.query(`
      CREATE TABLE embedding_models (
        id serial PRIMARY KEY,
        name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$'),
        provider text NOT NULL CHECK (provider IN ('openai', 'offline')),
        api_model text NOT NULL,
        dimensions integer NOT NULL CHECK (dimensions BETWEEN 1 AND 4000),
        request_dimensions boolean NOT NULL DEFAULT false,
        price_per_million_tokens numeric(14, 6) NOT NULL CHECK (price_per_million_tokens >= 0),
        max_input_tokens integer NOT NULL DEFAULT 8191 CHECK (max_input_tokens > 0),
        is_active boolean NOT NULL DEFAULT false,
        keep_current boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Exactly one model answers searches; switching it is one UPDATE in one transaction.
    await db.query(`CREATE UNIQUE INDEX embedding_models_one_active ON embedding_models ((true)) WHERE is_active`);
    await db.query(`
      INSERT INTO embedding_models (id, name, provider, api_model, dimensions, price_per_million_tokens) VALUES
        (1, 'text-embedding-3-small', 'openai', 'text-embedding-3-small', 1536, 0.02),
        (2, 'text-embedding-3-large', 'openai', 'text-embedding-3-large', 3072, 0.13),
        (3, 'text-embedding-ada-002', 'openai', 'text-embedding-ada-002', 1536, 0.10),
        (4, 'offline-hashing-v1', 'offline', 'offline-hashing-v1', 384, 0)`);
    await db.query(`SELECT setval('embedding_models_id_seq', 100)`);

    await db.query(`
      CREATE TABLE qa_pairs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        question text NOT NULL,
        answer text NOT NULL,
        category text NOT NULL,
        content_hash text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX qa_pairs_category_id ON qa_pairs (category, id)`);
    await db.query(`CREATE INDEX qa_pairs_created_at_id ON qa_pairs (created_at, id)`);

    await db.query(`
      CREATE TABLE embeddings (
        qa_pair_id uuid NOT NULL REFERENCES qa_pairs (id) ON DELETE CASCADE,
        model_id integer NOT NULL REFERENCES embedding_models (id),
        content_hash text NOT NULL,
        embedding vector NOT NULL,
        tokens integer NOT NULL CHECK (tokens >= 0),
        embedded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (qa_pair_id, model_id)
      )`);
    await db.query(`CREATE INDEX embeddings_model_id ON embeddings (model_id)`);
    // One partial HNSW index per model, on a cast to its dimensions (halfvec above 2000).
    await db.query(`CREATE INDEX embeddings_hnsw_1 ON embeddings USING hnsw ((embedding::vector(1536)) vector_cosine_ops) WHERE model_id = 1`);
    await db.query(`CREATE INDEX embeddings_hnsw_2 ON embeddings USING hnsw ((embedding::halfvec(3072)) halfvec_cosine_ops) WHERE model_id = 2`);
    await db.query(`CREATE INDEX embeddings_hnsw_3 ON embeddings USING hnsw ((embedding::vector(1536)) vector_cosine_ops) WHERE model_id = 3`);
    await db.query(`CREATE INDEX embeddings_hnsw_4 ON embeddings USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE model_id = 4`);

    await db.query(`
      CREATE TABLE provider_calls (
        id uuid PRIMARY KEY,
        model_id integer NOT NULL REFERENCES embedding_models (id),
        purpose text NOT NULL,
        request_id text,
        inputs integer NOT NULL CHECK (inputs > 0),
        local_tokens integer NOT NULL,
        reported_tokens integer,
        token_difference integer GENERATED ALWAYS AS (reported_tokens - local_tokens) STORED,
        duration_ms integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX provider_calls_created_at ON provider_calls (created_at)`);

    await db.query(`
      CREATE TABLE usage_ledger (
        id bigserial PRIMARY KEY,
        call_id uuid NOT NULL REFERENCES provider_calls (id),
        model_id integer NOT NULL REFERENCES embedding_models (id),
        qa_pair_id uuid,
        category text,
        purpose text NOT NULL CHECK (purpose IN ('ingest', 'update', 'migration', 'drift', 'search')),
        tokens integer NOT NULL CHECK (tokens >= 0),
        cost_usd numeric(20, 12) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX usage_ledger_created_at ON usage_ledger (created_at)`);
    await db.query(`CREATE INDEX usage_ledger_qa_pair_id ON usage_ledger (qa_pair_id)`);

    await db.query(`
      CREATE TABLE dead_letters (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        qa_pair_id uuid NOT NULL REFERENCES qa_pairs (id) ON DELETE CASCADE,
        model_id integer NOT NULL REFERENCES embedding_models (id),
        content_hash text NOT NULL,
        purpose text NOT NULL,
        error_kind text NOT NULL,
        last_error text NOT NULL,
        attempts integer NOT NULL,
        job_id text,
        first_failed_at timestamptz NOT NULL,
        last_failed_at timestamptz NOT NULL,
        discarded_at timestamptz,
        UNIQUE (qa_pair_id, model_id)
      )`);
    await db.query(`CREATE INDEX dead_letters_last_failed_at ON dead_letters (last_failed_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['dead_letters', 'usage_ledger', 'provider_calls', 'embeddings', 'qa_pairs', 'embedding_models']) {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
