import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { checkedInt, toVectorLiteral, vectorCast } from './vector-sql';

/** pgvector's default ef_search: plenty for neighbours at cosine ≥ 0.8 (they are the nearest few). */
const MIN_EF_SEARCH = 40;

/** One pair found near a vector. */
export interface VectorHit {
  id: string;
  question: string;
  answer: string;
  category: string;
  /** Cosine similarity, 1 = same direction. */
  similarity: number;
  /** The pair changed since this embedding was made. */
  stale: boolean;
}

/** A current neighbour of a pair's current embedding, with both content hashes they were made from. */
export interface CurrentNeighbour {
  sourceId: string;
  sourceHash: string;
  neighbourId: string;
  neighbourHash: string;
  /** Cosine similarity, 1 = same direction (pgvector's float, so possibly a hair above 1). */
  similarity: number;
}

/** k nearest pairs to a vector (or to stored pairs) under a model, through that model's HNSW index. */
@Injectable()
export class VectorSearch {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async nearest(model: { id: number; dimensions: number }, vector: Float32Array, limit: number, category?: string): Promise<VectorHit[]> {
    const cast = vectorCast(model);
    // The model id is spliced in as a literal so the planner can match the partial index.
    const sql = `
      SELECT q.id, q.question, q.answer, q.category, e.content_hash <> q.content_hash AS stale,
             1 - ((e.embedding::${cast}) <=> $1::${cast}) AS similarity
      FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id
      WHERE e.model_id = ${checkedInt(model.id)} ${category ? 'AND q.category = $3' : ''}
      ORDER BY (e.embedding::${cast}) <=> $1::${cast}
      LIMIT $2`;
    const params: unknown[] = [toVectorLiteral(vector), limit];
    if (category) params.push(category);
    const efSearch = Math.max(this.config.search.efSearch, limit);
    const rows: Array<VectorHit & { similarity: string | number }> = await this.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL hnsw.ef_search = ${checkedInt(efSearch)}`);
      // A category filter runs after the index scan; iterative scans keep it from coming up short.
      if (category) await tx.query(`SET LOCAL hnsw.iterative_scan = relaxed_order`);
      return tx.query(sql, params);
    });
    return rows.map((row) => ({ ...row, similarity: Number(row.similarity) })).sort((a, b) => b.similarity - a.similarity);
  }

  /**
   * For each of `ids` with a current embedding, its `neighbours` nearest pairs whose
   * embedding is current too, at similarity ≥ `threshold`, in one statement: the sources'
   * vectors in a MATERIALIZED CTE, then a LATERAL k-NN per source through the model's HNSW
   * index, with the self-match, stale neighbours and the similarity filter outside the index
   * scan (pgvector's advice for distance thresholds). `hnsw.ef_search` is max(40, k + 1),
   * set LOCAL in the caller's transaction `tx` (which also writes what it finds).
   */
  async currentNeighbours(
    model: { id: number; dimensions: number },
    ids: string[],
    threshold: number,
    neighbours: number,
    tx: EntityManager,
  ): Promise<CurrentNeighbour[]> {
    const cast = vectorCast(model);
    const modelId = checkedInt(model.id);
    await tx.query(`SET LOCAL hnsw.ef_search = ${checkedInt(Math.max(MIN_EF_SEARCH, neighbours + 1))}`);
    // The k-NN takes one extra row because a pair finds itself first.
    const rows: Array<{ source_id: string; source_hash: string; neighbour_id: string; neighbour_hash: string; similarity: number }> = await tx.query(
      `WITH sources AS MATERIALIZED (
           SELECT e.qa_pair_id AS id, e.content_hash, e.embedding::${cast} AS embedding
           FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id AND q.content_hash = e.content_hash
           WHERE e.model_id = ${modelId} AND e.qa_pair_id = ANY($1::uuid[])
         )
         SELECT s.id AS source_id, s.content_hash AS source_hash, n.id AS neighbour_id, n.content_hash AS neighbour_hash, n.similarity
         FROM sources s CROSS JOIN LATERAL (
           SELECT e.qa_pair_id AS id, e.content_hash, 1 - ((e.embedding::${cast}) <=> s.embedding) AS similarity
           FROM embeddings e
           WHERE e.model_id = ${modelId}
           ORDER BY (e.embedding::${cast}) <=> s.embedding
           LIMIT ${checkedInt(neighbours + 1)}
         ) n
         JOIN qa_pairs q ON q.id = n.id AND q.content_hash = n.content_hash
         WHERE n.id <> s.id AND n.similarity >= $2`,
      [ids, threshold],
    );
    return rows.map((r) => ({
      sourceId: r.source_id,
      sourceHash: r.source_hash,
      neighbourId: r.neighbour_id,
      neighbourHash: r.neighbour_hash,
      similarity: Number(r.similarity),
    }));
  }
}
