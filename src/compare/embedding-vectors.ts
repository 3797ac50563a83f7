import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { checkedInt } from '../embeddings/vector-sql';
import { fromVectorSend, fromVectorSendRows } from '../embeddings/binary-vectors';
import type { VectorEntry } from './near-duplicate-pairs';

/** Rows per FETCH: large enough that round trips do not matter, small enough to stream (~25 MB at 1536 dimensions). */
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

  /**
   * Every current vector of a model (optionally of one category), streamed through a
   * server-side cursor: one plan for the whole read, `vector_send` computed only for the
   * rows each FETCH returns. (Keyset pages re-planned per page joined and sorted all the
   * remaining rows every time, README "Loading vectors".)
   */
  async loadCurrent(model: Model, options: LoadOptions = {}): Promise<VectorEntry<string>[]> {
    const entries: VectorEntry<string>[] = [];
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(
        `DECLARE current_vectors NO SCROLL CURSOR FOR
         SELECT e.qa_pair_id AS id, vector_send(e.embedding) AS bytes
         FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id AND q.content_hash = e.content_hash
         WHERE e.model_id = ${checkedInt(model.id)} ${options.category === undefined ? '' : 'AND q.category = $1'}`,
        options.category === undefined ? [] : [options.category],
      );
      for (;;) {
        options.signal?.throwIfAborted();
        const rows: Array<{ id: string; bytes: Buffer }> = await runner.query(`FETCH ${PAGE_SIZE} FROM current_vectors`);
        const vectors = fromVectorSendRows(rows.map((row) => row.bytes), model.dimensions);
        rows.forEach((row, i) => entries.push({ id: row.id, vector: vectors[i] }));
        if (options.expected) options.onProgress?.(Math.min(1, entries.length / options.expected));
        if (rows.length < PAGE_SIZE) break;
      }
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
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
