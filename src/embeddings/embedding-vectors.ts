import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { fromVectorSend, fromVectorSendRows } from './binary-vectors';
import type { EmbeddingModelEntity } from './embedding-model.entity';
import { checkedInt } from './vector-sql';

/** Rows per FETCH: large enough that round trips do not matter, small enough to stream (~25 MB at 1536 dimensions). */
const PAGE_SIZE = 2_000;

type Model = Pick<EmbeddingModelEntity, 'id' | 'dimensions'>;
type Queryable = Pick<DataSource, 'query'>;

/**
 * A pair's current vector. The shape of compare's `VectorEntry<string>`, so a snapshot is a
 * `VectorSource<string>` for its scans without this module depending on compare.
 */
export interface StoredVector {
  id: string;
  vector: Float32Array;
}

export interface LoadOptions {
  category?: string;
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
 * Reads stored vectors for the comparison tools (compare module). Only *current* embeddings
 * count (the embedding's content hash is the pair's): a stale one describes text the pair no
 * longer has. Vectors come as `vector_send` bytes, not text (`src/compare/README.md`,
 * "Loading vectors").
 */
@Injectable()
export class EmbeddingVectors {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  countCurrent(model: Model, category?: string): Promise<number> {
    return this.countCurrentWith(this.db, model, category);
  }

  private async countCurrentWith(db: Queryable, model: Model, category?: string): Promise<number> {
    const [row]: Array<{ n: string }> = await db.query(
      `SELECT count(*) AS n
       FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id AND q.content_hash = e.content_hash
       WHERE e.model_id = ${checkedInt(model.id)} ${category === undefined ? '' : 'AND q.category = $1'}`,
      category === undefined ? [] : [category],
    );
    return Number(row.n);
  }

  /**
   * Every current vector of a model (optionally of one category), all in memory: for sets
   * small enough to answer in a request. Larger sets go through `readSnapshot`.
   */
  async loadCurrent(model: Model, options: LoadOptions = {}): Promise<StoredVector[]> {
    return this.readSnapshot(model, options.category, async (snapshot) => {
      const entries: StoredVector[] = [];
      for await (const page of snapshot.pages()) {
        options.signal?.throwIfAborted();
        entries.push(...page);
        if (snapshot.expected) options.onProgress?.(Math.min(1, entries.length / snapshot.expected));
      }
      options.onProgress?.(1);
      return entries;
    });
  }

  /**
   * Runs `body` with a read-only REPEATABLE READ snapshot of a model's current vectors (of
   * one category): `pages()` streams them through a server-side cursor (one plan for the
   * whole read, `vector_send` computed only for the rows each FETCH returns; keyset pages
   * re-planned per page joined and sorted all the remaining rows every time, compare README
   * "Loading vectors"), and `vectorsOf(ids)` reads chosen ones back from the same snapshot.
   * One connection for the whole body.
   */
  async readSnapshot<T>(model: Model, category: string | undefined, body: (snapshot: VectorSnapshot) => Promise<T>): Promise<T> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      await runner.query('SET TRANSACTION READ ONLY');
      const expected = await this.countCurrentWith(runner, model, category);
      const result = await body(new VectorSnapshot(runner, model, category, expected));
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
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

/**
 * A model's current vectors as one snapshot reads them (see `EmbeddingVectors.readSnapshot`):
 * streamed in pages of 2,000 (once per snapshot: the cursor ends with the transaction), and
 * read back by id. Valid only inside the `readSnapshot` body.
 */
export class VectorSnapshot {
  constructor(
    private readonly runner: QueryRunner,
    private readonly model: Model,
    private readonly category: string | undefined,
    /** Rows `pages()` will give. */
    readonly expected: number,
  ) {}

  async *pages(): AsyncGenerator<StoredVector[]> {
    const { runner, model, category } = this;
    await runner.query(
      `DECLARE current_vectors NO SCROLL CURSOR FOR
       SELECT e.qa_pair_id AS id, vector_send(e.embedding) AS bytes
       FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id AND q.content_hash = e.content_hash
       WHERE e.model_id = ${checkedInt(model.id)} ${category === undefined ? '' : 'AND q.category = $1'}`,
      category === undefined ? [] : [category],
    );
    for (;;) {
      const rows: Array<{ id: string; bytes: Buffer }> = await runner.query(`FETCH ${PAGE_SIZE} FROM current_vectors`);
      const vectors = fromVectorSendRows(
        rows.map((row) => row.bytes),
        model.dimensions,
      );
      yield rows.map((row, i) => ({ id: row.id, vector: vectors[i] }));
      if (rows.length < PAGE_SIZE) return;
    }
  }

  /** The stored vectors of these pairs (the ones current in this snapshot). */
  async vectorsOf(ids: readonly string[]): Promise<Map<string, Float32Array>> {
    if (ids.length === 0) return new Map();
    const rows: Array<{ id: string; bytes: Buffer }> = await this.runner.query(
      `SELECT e.qa_pair_id AS id, vector_send(e.embedding) AS bytes
       FROM embeddings e
       WHERE e.model_id = ${checkedInt(this.model.id)} AND e.qa_pair_id = ANY($1::uuid[])`,
      [ids],
    );
    const vectors = fromVectorSendRows(
      rows.map((row) => row.bytes),
      this.model.dimensions,
    );
    return new Map(rows.map((row, i) => [row.id, vectors[i]]));
  }
}
