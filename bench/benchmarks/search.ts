import { contentHash, embeddingText } from '../../src/common/qa-content';
import { featureHashingVector } from '../../src/embeddings/providers/feature-hashing';
import { hnswIndexName, hnswIndexSql, toVectorLiteral } from '../../src/embeddings/vector-sql';
import type { SearchMode } from '../../src/search/search-mode';
import { type Benchmark, percentile, round, scaled } from '../support/benchmark';
import { type BenchService, withBenchService } from '../support/bench-service';
import type { CorpusPair } from '../support/qa-corpus';
import { zipfQaPairs } from '../support/zipf-corpus';

const K = 10;
const INSERT_BATCH = 1_000;
const MODEL = { id: 1, dimensions: 1536 };

/**
 * `search`: 100k pairs, top-10 through the API with the fake provider at 0 ms. Recall@10 of
 * the HNSW search against an exact scan of the same vectors in the same run; p50/p95 latency
 * at 1 and 8 concurrent clients for vector (query embedded), a query-cache hit, lexical and hybrid.
 */
export const searchBenchmark: Benchmark = {
  name: 'search',
  description:
    'Search over 100k pairs: HNSW recall@10 against an exact scan; p50/p95 latency at 1 and 8 clients for vector, cache hit, lexical and hybrid.',
  async run({ scale, log }) {
    const count = scaled(100_000, scale, 2_000);
    const queryCount = scaled(400, scale, 40);
    const corpus = zipfQaPairs(count);
    return withBenchService('search', {}, async (service) => {
      const loaded = await loadCorpus(service, corpus);
      log(`loaded ${count} pairs in ${round(loaded.insertS, 1)} s, HNSW index built in ${round(loaded.indexS, 1)} s`);
      const queries = (offset: number) => Array.from({ length: queryCount }, (_, i) => queryFor(corpus[(i * 7919 + offset) % count], i + offset));

      const recallQueries = queries(0);
      const tenth = await exactTenthSimilarity(service, recallQueries);
      const recall = await hnswRecall(service, recallQueries, tenth);
      log(`recall@10 ${round(recall, 4)} over ${recallQueries.length} queries`);
      const byEf: Record<string, number> = {};
      for (const ef of [40, 100, 200, 400]) byEf[`recall_at_10_ef${ef}`] = round(await sqlRecallAtEf(service, recallQueries, tenth, ef), 4);
      log(`recall@10 by hnsw.ef_search (SQL): ${JSON.stringify(byEf)}`);

      const figures: Record<string, number> = {
        pairs: count,
        queries: queryCount,
        recall_at_10: round(recall, 4),
        load_s: round(loaded.insertS, 1),
        index_build_s: round(loaded.indexS, 1),
        ...byEf,
      };
      let offset = 1;
      for (const clients of [1, 8]) {
        // Fresh texts for the vector and hybrid runs (cache misses); the vector run's texts again for the cache hits.
        const vectorQueries = queries(offset++ * queryCount);
        const runs: Array<[string, SearchMode, string[]]> = [
          ['vector', 'vector', vectorQueries],
          ['cache_hit', 'vector', vectorQueries],
          ['lexical', 'lexical', queries(offset++ * queryCount)],
          ['hybrid', 'hybrid', queries(offset++ * queryCount)],
        ];
        for (const [label, mode, texts] of runs) {
          const latencies = await measure(service, mode, texts, clients, label === 'cache_hit');
          figures[`${label}_p50_ms_c${clients}`] = round(percentile(latencies, 50), 2);
          figures[`${label}_p95_ms_c${clients}`] = round(percentile(latencies, 95), 2);
          log(`${label} at ${clients} client(s): p50 ${round(percentile(latencies, 50), 2)} ms, p95 ${round(percentile(latencies, 95), 2)} ms`);
        }
      }
      const exactLatencies = await exactScanLatencies(service, recallQueries.slice(0, Math.min(50, recallQueries.length)));
      figures.exact_scan_p50_ms = round(percentile(exactLatencies, 50), 2);
      return {
        figures,
        notes: {
          method:
            'QA pairs over a 20,000-word Zipfian vocabulary (bench/support/zipf-corpus.ts) loaded straight into PostgreSQL with the vectors the fake returns ' +
            '(feature hashing, 1536-d), HNSW built after the load; recall counts a hit at least as similar as the exact 10th neighbour (ann-benchmarks style); ' +
            'queries are reordered question words of random pairs; latency is measured by the client over HTTP on loopback, service and fake in separate processes',
          baseline: 'recall against an exact (sequential) scan of the same vectors in the same run; exact_scan_p50_ms is that scan in SQL alone',
        },
      };
    });
  },
};

/** A query that is not a stored text: the question's words in reverse order, tagged so every query is distinct. */
function queryFor(pair: CorpusPair, tag: number): string {
  const words = pair.question.replace(/[?.]/g, ' ').split(/\s+/).filter(Boolean);
  return `${words.reverse().join(' ')} q${tag}`;
}

async function loadCorpus(service: BenchService, corpus: CorpusPair[]): Promise<{ insertS: number; indexS: number }> {
  const db = service.db;
  await db.query(`DROP INDEX IF EXISTS ${hnswIndexName(MODEL)}`);
  const started = performance.now();
  for (let i = 0; i < corpus.length; i += INSERT_BATCH) {
    const batch = corpus.slice(i, i + INSERT_BATCH);
    const texts = batch.map((pair) => embeddingText(pair.question, pair.answer));
    await db.query(
      `WITH pairs AS (
         INSERT INTO qa_pairs (question, answer, category, content_hash)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         RETURNING id, content_hash
       ), numbered AS (SELECT id, content_hash, row_number() OVER () AS n FROM pairs)
       INSERT INTO embeddings (qa_pair_id, model_id, content_hash, embedding, tokens, embedded_at)
       SELECT numbered.id, ${MODEL.id}, numbered.content_hash, v.embedding::vector, 0, now()
       FROM numbered JOIN unnest($5::text[]) WITH ORDINALITY AS v(embedding, n) ON v.n = numbered.n`,
      [
        batch.map((pair) => pair.question),
        batch.map((pair) => pair.answer),
        batch.map((pair) => pair.category),
        batch.map((pair) => contentHash(pair.question, pair.answer)),
        texts.map((text) => toVectorLiteral(featureHashingVector(text, MODEL.dimensions))),
      ],
    );
  }
  const loaded = performance.now();
  await db.query(`SET maintenance_work_mem = '2GB'`);
  await db.query(hnswIndexSql(MODEL, false));
  await db.query(`ANALYZE qa_pairs; ANALYZE embeddings`);
  return { insertS: (loaded - started) / 1000, indexS: (performance.now() - loaded) / 1000 };
}

/** The similarity of each query's true 10th neighbour, by a sequential scan (no index). */
async function exactTenthSimilarity(service: BenchService, queries: string[]): Promise<number[]> {
  return service.db.transaction(async (tx) => {
    await tx.query(`SET LOCAL enable_indexscan = off`);
    const tenth: number[] = [];
    for (const query of queries) {
      const rows: Array<{ similarity: number }> = await tx.query(
        `SELECT 1 - ((embedding::vector(${MODEL.dimensions})) <=> $1::vector(${MODEL.dimensions})) AS similarity
         FROM embeddings WHERE model_id = ${MODEL.id}
         ORDER BY (embedding::vector(${MODEL.dimensions})) <=> $1::vector(${MODEL.dimensions}) LIMIT ${K}`,
        [toVectorLiteral(featureHashingVector(query, MODEL.dimensions))],
      );
      tenth.push(Number(rows[rows.length - 1].similarity));
    }
    return tenth;
  });
}

async function exactScanLatencies(service: BenchService, queries: string[]): Promise<number[]> {
  return service.db.transaction(async (tx) => {
    await tx.query(`SET LOCAL enable_indexscan = off`);
    const latencies: number[] = [];
    for (const query of queries) {
      const vector = toVectorLiteral(featureHashingVector(query, MODEL.dimensions));
      const started = performance.now();
      await tx.query(
        `SELECT qa_pair_id FROM embeddings WHERE model_id = ${MODEL.id}
         ORDER BY (embedding::vector(${MODEL.dimensions})) <=> $1::vector(${MODEL.dimensions}) LIMIT ${K}`,
        [vector],
      );
      latencies.push(performance.now() - started);
    }
    return latencies;
  });
}

/**
 * Share of the HNSW top-10 that belongs to the exact top-10. A hit counts when it is at least
 * as similar as the exact 10th neighbour (less a float tolerance), as ann-benchmarks counts it,
 * so ties at the boundary do not count as misses.
 */
async function hnswRecall(service: BenchService, queries: string[], tenth: number[]): Promise<number> {
  let found = 0;
  for (const [i, query] of queries.entries()) {
    const response = await service.request<{ results: Array<{ similarity: number }> }>('POST', '/api/v1/search', { query, limit: K, mode: 'vector' });
    found += response.results.filter((hit) => hit.similarity >= tenth[i] - 1e-6).length;
  }
  return found / (queries.length * K);
}

/** The same recall straight from SQL at a given `hnsw.ef_search`: the recall/latency trade-off the setting picks. */
async function sqlRecallAtEf(service: BenchService, queries: string[], tenth: number[], ef: number): Promise<number> {
  return service.db.transaction(async (tx) => {
    await tx.query(`SET LOCAL hnsw.ef_search = ${ef}`);
    let found = 0;
    for (const [i, query] of queries.entries()) {
      const rows: Array<{ similarity: number }> = await tx.query(
        `SELECT 1 - ((embedding::vector(${MODEL.dimensions})) <=> $1::vector(${MODEL.dimensions})) AS similarity
         FROM embeddings WHERE model_id = ${MODEL.id}
         ORDER BY (embedding::vector(${MODEL.dimensions})) <=> $1::vector(${MODEL.dimensions}) LIMIT ${K}`,
        [toVectorLiteral(featureHashingVector(query, MODEL.dimensions))],
      );
      found += rows.filter((row) => Number(row.similarity) >= tenth[i] - 1e-6).length;
    }
    return found / (queries.length * K);
  });
}

/** Per-request latency (ms) of `texts` sent by `clients` concurrent clients. */
async function measure(service: BenchService, mode: SearchMode, texts: string[], clients: number, expectCached: boolean): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < texts.length) {
        const query = texts[next++];
        const started = performance.now();
        const response = await service.request<{ mode: SearchMode; cached: boolean }>('POST', '/api/v1/search', { query, limit: K, mode });
        latencies.push(performance.now() - started);
        if (response.mode !== mode || response.cached !== expectCached) {
          throw new Error(`search for "${query}" answered ${response.mode} (cached ${response.cached}); expected ${mode} (cached ${expectCached})`);
        }
      }
    }),
  );
  return latencies;
}
