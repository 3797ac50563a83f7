import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { checkedInt } from '../embeddings/vector-sql';
import { fromVectorSend, fromVectorSendRows } from './binary-vectors';
import type { VectorEntry } from './near-duplicate-pairs';

/** Rows per keyset page: large enough that round trips do not matter, small enough to stream. */
const PAGE_SIZE = 2_000;

type Model = Pick<EmbeddingModelEntity, 'id' | 'dimensions'>;

export interface LoadOptions {
  category?: string;
  /** How many rows to expect (from `countCurrent`), for progress. */
  expected?: number;
  onProgress?: (fractionDone: number) => void;
  signal?: AbortSignal;
}

/** A pair's texts and, when it has one, its current embedding under a model. */
export interface PairWithVector {
  id: string;
  question: string;
  answer: string;
  category: string;
  vector: Float32Array | null;
}

/**
 * Reads stored vectors for the comparison tools. Only *current* embeddings count (the
 * embedding's content hash is the pair's): a stale one describes text the pair no longer
 * has. Vectors come as `vector_send` bytes, not text (README "Loading vectors").
 */
@Injectable()
export class EmbeddingVectors {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async countCurrent(model: Model, category?: string): Promise<number> {
    const [row]: Array<{ n: string }> = await this.db.query(
      `SELECT count(*) AS n
       FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id AND q.content_hash = e.content_hash
       WHERE e.model_id = ${checkedInt(model.id)} ${category === undefined ? '' : 'AND q.category = $1'}`,
      category === undefined ? [] : [category],
    );
    return Number(row.n);
  }

  /** Every current vector of a model (optionally of one category), in keyset pages by pair id. */
  async loadCurrent(model: Model, options: LoadOptions = {}): Promise<VectorEntry<string>[]> {
    const entries: VectorEntry<string>[] = [];
    let after: string | null = null;
    for (;;) {
      options.signal?.throwIfAborted();
      const params: unknown[] = [];
      const conditions = [`e.model_id = ${checkedInt(model.id)}`];
      if (after !== null) conditions.push(`e.qa_pair_id > $${params.push(after)}::uuid`);
      if (options.category !== undefined) conditions.push(`q.category = $${params.push(options.category)}`);
      const rows: Array<{ id: string; bytes: Buffer }> = await this.db.query(
        `SELECT e.qa_pair_id AS id, vector_send(e.embedding) AS bytes
         FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id AND q.content_hash = e.content_hash
         WHERE ${conditions.join(' AND ')}
         ORDER BY e.qa_pair_id
         LIMIT ${PAGE_SIZE}`,
        params,
      );
      const vectors = fromVectorSendRows(rows.map((row) => row.bytes), model.dimensions);
      rows.forEach((row, i) => entries.push({ id: row.id, vector: vectors[i] }));
      if (options.expected) options.onProgress?.(Math.min(1, entries.length / options.expected));
      if (rows.length < PAGE_SIZE) break;
      after = rows[rows.length - 1].id;
    }
    options.onProgress?.(1);
    return entries;
  }

  /** The pairs that exist among `ids`, each with its current vector under the model or null. */
  async pairsWithVectors(model: Model, ids: string[]): Promise<Map<string, PairWithVector>> {
    const rows: Array<Omit<PairWithVector, 'vector'> & { bytes: Buffer | null }> = await this.db.query(
      `SELECT q.id, q.question, q.answer, q.category,
              CASE WHEN e.content_hash = q.content_hash THEN vector_send(e.embedding) END AS bytes
       FROM qa_pairs q LEFT JOIN embeddings e ON e.qa_pair_id = q.id AND e.model_id = ${checkedInt(model.id)}
       WHERE q.id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map(({ bytes, ...pair }) => [pair.id, { ...pair, vector: bytes ? fromVectorSend(bytes) : null }]));
  }

  /**
   * A uniform random sample of pairs whose content has not changed since they were
   * embedded, with that content and the stored vector read in one snapshot.
   */
  async sampleUnchanged(model: Model, size: number): Promise<Array<PairWithVector & { vector: Float32Array }>> {
    const modelId = checkedInt(model.id);
    const rows: Array<Omit<PairWithVector, 'vector'> & { bytes: Buffer }> = await this.db.query(
      `WITH sample AS MATERIALIZED (
         SELECT e.qa_pair_id AS id
         FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id AND q.content_hash = e.content_hash
         WHERE e.model_id = ${modelId}
         ORDER BY random()
         LIMIT $1
       )
       SELECT q.id, q.question, q.answer, q.category, vector_send(e.embedding) AS bytes
       FROM sample s
       JOIN qa_pairs q ON q.id = s.id
       JOIN embeddings e ON e.qa_pair_id = s.id AND e.model_id = ${modelId} AND e.content_hash = q.content_hash`,
      [size],
    );
    return rows.map(({ bytes, ...pair }) => ({ ...pair, vector: fromVectorSend(bytes) }));
  }
}
