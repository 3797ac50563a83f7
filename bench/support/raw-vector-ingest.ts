import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { toVectorLiteral } from '../../src/embeddings/vector-sql';

/**
 * The database's own ceiling for our data: the same vectors inserted straight into a
 * table with a primary key and an HNSW index (no queue, no provider, no guard), in
 * multi-row INSERTs of `batchSize`, `connections` at a time. Returns rows per second.
 */
export async function rawVectorIngestRate(databaseUrl: string, vectors: Float32Array[], batchSize = 256, connections = 2): Promise<number> {
  const dims = vectors[0].length;
  const db = await new DataSource(dataSourceOptions({ url: databaseUrl, poolSize: connections + 1, statementTimeoutMs: 0 })).initialize();
  try {
    await db.query(`DROP TABLE IF EXISTS bench_raw_vectors`);
    await db.query(`CREATE TABLE bench_raw_vectors (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), embedding vector(${dims}) NOT NULL)`);
    await db.query(`CREATE INDEX ON bench_raw_vectors USING hnsw (embedding vector_cosine_ops)`);
    const batches: Float32Array[][] = [];
    for (let i = 0; i < vectors.length; i += batchSize) batches.push(vectors.slice(i, i + batchSize));
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < batches.length) {
          const batch = batches[next++];
          await db.query(`INSERT INTO bench_raw_vectors (embedding) SELECT unnest($1::vector[])`, [batch.map(toVectorLiteral)]);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await db.query(`DROP TABLE bench_raw_vectors`);
    return vectors.length / seconds;
  } finally {
    await db.destroy();
  }
}
