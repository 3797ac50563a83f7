import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { checkedInt, toVectorLiteral, vectorCast } from './vector-sql';

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

/** k nearest pairs to a vector under a model, through that model's HNSW index. */
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
}
