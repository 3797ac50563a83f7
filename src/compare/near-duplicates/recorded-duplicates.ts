import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { EmbeddingModelEntity } from '../../embeddings/embedding-model.entity';
import { VectorSearch } from '../../embeddings/vector-search';
import { checkedInt } from '../../embeddings/vector-sql';
import { readPage } from '../../database/read-page';
import { dismissedSql } from './dismissals';

export interface RecordedDuplicate {
  idA: string;
  idB: string;
  similarity: number;
  detectedAt: Date;
}

export interface RecordedDuplicatesQuery {
  modelId: number;
  /** Only pairs involving this QA pair. */
  qaPairId?: string;
  /** Only pairs whose both QA pairs are of this category. */
  category?: string;
  minSimilarity: number;
  /** Also the pairs dismissed as not duplicates (`NearDuplicateDismissals`); hidden otherwise. */
  includeDismissed: boolean;
  limit: number;
  offset: number;
}

type Model = Pick<EmbeddingModelEntity, 'id' | 'dimensions'>;

/**
 * Near-duplicates found when pairs are embedded (table near_duplicates). A row holds the
 * content hashes both pairs had when compared and counts only while both still have them.
 */
@Injectable()
export class RecordedDuplicates {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly search: VectorSearch,
  ) {}

  /**
   * For each of `ids` with a current embedding, its k nearest current neighbours at or
   * above the threshold (`VectorSearch.currentNeighbours`: a LATERAL k-NN per pair through
   * the model's HNSW index), replacing what was recorded for those pairs. The delete, the
   * k-NN and the insert share one transaction. Returns how many duplicate pairs were recorded.
   */
  async checkAndRecord(model: Model, ids: string[], threshold: number, neighbours: number): Promise<number> {
    const modelId = checkedInt(model.id);
    return this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM near_duplicates WHERE model_id = ${modelId} AND (qa_pair_a = ANY($1::uuid[]) OR qa_pair_b = ANY($1::uuid[]))`, [
        ids,
      ]);
      const found = await this.search.currentNeighbours(model, ids, threshold, neighbours, tx);
      if (found.length === 0) return 0;
      // Ordered (a < b) and deduplicated: both sides of a new pair find each other.
      const rows: unknown[] = await tx.query(
        `INSERT INTO near_duplicates (model_id, qa_pair_a, qa_pair_b, content_hash_a, content_hash_b, similarity)
         SELECT DISTINCT ON (a, b) ${modelId}, a, b, hash_a, hash_b, least(similarity, 1)
         FROM (
           SELECT least(source_id, neighbour_id) AS a, greatest(source_id, neighbour_id) AS b,
                  CASE WHEN source_id < neighbour_id THEN source_hash ELSE neighbour_hash END AS hash_a,
                  CASE WHEN source_id < neighbour_id THEN neighbour_hash ELSE source_hash END AS hash_b,
                  similarity
           FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::float8[])
             AS found(source_id, source_hash, neighbour_id, neighbour_hash, similarity)
         ) f
         ORDER BY a, b, similarity DESC
         ON CONFLICT (model_id, qa_pair_a, qa_pair_b) DO UPDATE
           SET content_hash_a = EXCLUDED.content_hash_a, content_hash_b = EXCLUDED.content_hash_b,
               similarity = EXCLUDED.similarity, detected_at = now()
         RETURNING qa_pair_a`,
        [
          found.map((f) => f.sourceId),
          found.map((f) => f.sourceHash),
          found.map((f) => f.neighbourId),
          found.map((f) => f.neighbourHash),
          found.map((f) => f.similarity),
        ],
      );
      return rows.length;
    });
  }

  /** Current recorded duplicates, most similar first. */
  async list(query: RecordedDuplicatesQuery): Promise<{ total: number; items: RecordedDuplicate[] }> {
    const params: unknown[] = [query.minSimilarity];
    const conditions = [`d.model_id = ${checkedInt(query.modelId)}`, 'd.similarity >= $1'];
    if (query.qaPairId !== undefined) {
      const p = params.push(query.qaPairId);
      conditions.push(`(d.qa_pair_a = $${p}::uuid OR d.qa_pair_b = $${p}::uuid)`);
    }
    if (query.category !== undefined) {
      const p = params.push(query.category);
      conditions.push(`a.category = $${p} AND b.category = $${p}`);
    }
    if (!query.includeDismissed) conditions.push(`NOT ${dismissedSql('d.qa_pair_a', 'd.qa_pair_b')}`);
    const from = `FROM near_duplicates d
      JOIN qa_pairs a ON a.id = d.qa_pair_a AND a.content_hash = d.content_hash_a
      JOIN qa_pairs b ON b.id = d.qa_pair_b AND b.content_hash = d.content_hash_b
      WHERE ${conditions.join(' AND ')}`;
    const { rows, total } = await readPage<{ qa_pair_a: string; qa_pair_b: string; similarity: number; detected_at: Date }>(
      this.db,
      {
        sql: `SELECT d.qa_pair_a, d.qa_pair_b, d.similarity, d.detected_at ${from}
              ORDER BY d.similarity DESC, d.qa_pair_a, d.qa_pair_b LIMIT ${checkedInt(query.limit)} OFFSET ${checkedInt(query.offset)}`,
        params,
      },
      { sql: `SELECT count(*) AS n ${from}`, params },
    );
    return {
      total,
      items: rows.map((r) => ({ idA: r.qa_pair_a, idB: r.qa_pair_b, similarity: r.similarity, detectedAt: r.detected_at })),
    };
  }
}
