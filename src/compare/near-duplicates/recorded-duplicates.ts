import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { EmbeddingModelEntity } from '../../embeddings/embedding-model.entity';
import { checkedInt, vectorCast } from '../../embeddings/vector-sql';

/** pgvector's default ef_search: plenty for neighbours at cosine ≥ 0.8 (they are the nearest few). */
const MIN_EF_SEARCH = 40;

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
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * For each of `ids` with a current embedding, its k nearest neighbours through the
   * model's HNSW index in one statement (a LATERAL k-NN per pair, the distance filter
   * outside the index scan), replacing what was recorded for those pairs. Returns how many
   * duplicate pairs were recorded.
   */
  async checkAndRecord(model: Model, ids: string[], threshold: number, neighbours: number): Promise<number> {
    const cast = vectorCast(model);
    const modelId = checkedInt(model.id);
    return this.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL hnsw.ef_search = ${checkedInt(Math.max(MIN_EF_SEARCH, neighbours + 1))}`);
      await tx.query(`DELETE FROM near_duplicates WHERE model_id = ${modelId} AND (qa_pair_a = ANY($1::uuid[]) OR qa_pair_b = ANY($1::uuid[]))`, [ids]);
      // The k-NN takes one extra row because a pair finds itself first.
      const rows: unknown[] = await tx.query(
        `WITH sources AS MATERIALIZED (
           SELECT e.qa_pair_id AS id, e.content_hash, e.embedding::${cast} AS embedding
           FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id AND q.content_hash = e.content_hash
           WHERE e.model_id = ${modelId} AND e.qa_pair_id = ANY($1::uuid[])
         ), found AS (
           SELECT s.id AS source_id, s.content_hash AS source_hash, n.id AS neighbour_id, n.content_hash AS neighbour_hash, n.similarity
           FROM sources s CROSS JOIN LATERAL (
             SELECT e.qa_pair_id AS id, e.content_hash, 1 - ((e.embedding::${cast}) <=> s.embedding) AS similarity
             FROM embeddings e
             WHERE e.model_id = ${modelId}
             ORDER BY (e.embedding::${cast}) <=> s.embedding
             LIMIT ${checkedInt(neighbours + 1)}
           ) n
           JOIN qa_pairs q ON q.id = n.id AND q.content_hash = n.content_hash
           WHERE n.id <> s.id AND n.similarity >= $2
         )
         INSERT INTO near_duplicates (model_id, qa_pair_a, qa_pair_b, content_hash_a, content_hash_b, similarity)
         SELECT DISTINCT ON (a, b) ${modelId}, a, b, hash_a, hash_b, least(similarity, 1)
         FROM (
           SELECT least(source_id, neighbour_id) AS a, greatest(source_id, neighbour_id) AS b,
                  CASE WHEN source_id < neighbour_id THEN source_hash ELSE neighbour_hash END AS hash_a,
                  CASE WHEN source_id < neighbour_id THEN neighbour_hash ELSE source_hash END AS hash_b,
                  similarity
           FROM found
         ) f
         ORDER BY a, b, similarity DESC
         ON CONFLICT (model_id, qa_pair_a, qa_pair_b) DO UPDATE
           SET content_hash_a = EXCLUDED.content_hash_a, content_hash_b = EXCLUDED.content_hash_b,
               similarity = EXCLUDED.similarity, detected_at = now()
         RETURNING qa_pair_a`,
        [ids, threshold],
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
    const from = `FROM near_duplicates d
      JOIN qa_pairs a ON a.id = d.qa_pair_a AND a.content_hash = d.content_hash_a
      JOIN qa_pairs b ON b.id = d.qa_pair_b AND b.content_hash = d.content_hash_b
      WHERE ${conditions.join(' AND ')}`;
    const [rows, [count]]: [Array<{ qa_pair_a: string; qa_pair_b: string; similarity: number; detected_at: Date }>, Array<{ n: string }>] =
      await Promise.all([
        this.db.query(
          `SELECT d.qa_pair_a, d.qa_pair_b, d.similarity, d.detected_at ${from}
           ORDER BY d.similarity DESC, d.qa_pair_a, d.qa_pair_b LIMIT ${checkedInt(query.limit)} OFFSET ${checkedInt(query.offset)}`,
          params,
        ),
        this.db.query(`SELECT count(*) AS n ${from}`, params),
      ]);
    return {
      total: Number(count.n),
      items: rows.map((r) => ({ idA: r.qa_pair_a, idB: r.qa_pair_b, similarity: r.similarity, detectedAt: r.detected_at })),
    };
  }
}
