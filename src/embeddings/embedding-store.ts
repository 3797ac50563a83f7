import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EmbeddingEvents } from './embedding-events';
import { checkedInt, toVectorLiteral } from './vector-sql';
import { ATTR, ATTR_DB_COLLECTION_NAME, ATTR_DB_OPERATION_NAME, ATTR_DB_SYSTEM_NAME, DB_SYSTEM_NAME_VALUE_POSTGRESQL } from '../tracing/semconv';
import { inSpan } from '../tracing/spans';

/** What a QA pair is embedded from, read at the moment a batch is sent. */
export interface EmbeddingSource {
  id: string;
  question: string;
  answer: string;
  category: string;
  contentHash: string;
}

export interface EmbeddingWrite {
  qaPairId: string;
  contentHash: string;
  vector: Float32Array;
  tokens: number;
}

export type EmbeddingState = 'embedded' | 'stale' | 'pending' | 'failed';

export interface EmbeddingStatus {
  qaPairId: string;
  state: EmbeddingState;
  embeddedAt: Date | null;
  error: string | null;
}

/** The content hashes recorded for a pair under a model: its own, its embedding's, its dead letter's. */
export interface RecordedHashes {
  current: string;
  embedded: string | null;
  deadLettered: string | null;
}

/**
 * Embedding writes and per-pair embedding state: which pairs need work, what they are
 * embedded from, and the guarded upsert. It reads qa_pairs (read-only) because an
 * embedding is only valid for the content hash it was made from. The embeddings module owns
 * `dead_letters` too (`DeadLetterStore`): the upsert clears a written pair's letters in the
 * same statement, and the state queries below read them, so the two tables never disagree.
 */
@Injectable()
export class EmbeddingStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: EmbeddingEvents,
  ) {}

  async loadSources(ids: string[]): Promise<Map<string, EmbeddingSource>> {
    const rows: Array<{ id: string; question: string; answer: string; category: string; content_hash: string }> = await this.db.query(
      `SELECT id, question, answer, category, content_hash FROM qa_pairs WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, { id: r.id, question: r.question, answer: r.answer, category: r.category, contentHash: r.content_hash }]));
  }

  /** Content hashes of the embeddings that exist for these pairs under a model. */
  async embeddedHashes(modelId: number, ids: string[]): Promise<Map<string, string>> {
    const rows: Array<{ qa_pair_id: string; content_hash: string }> = await this.db.query(
      `SELECT qa_pair_id, content_hash FROM embeddings WHERE model_id = $1 AND qa_pair_id = ANY($2::uuid[])`,
      [modelId, ids],
    );
    return new Map(rows.map((r) => [r.qa_pair_id, r.content_hash]));
  }

  /**
   * Writes embeddings only where the pair still has the content they were made from
   * (the row lock re-checks a pair edited meanwhile), so a stale job never overwrites a
   * newer embedding. Clears the dead letters of the pairs written, and only those: a refused
   * write (the pair moved on) must not erase the letter of its newer content. Under the
   * row lock the written hash is the pair's current content, so any letter of a written
   * pair is either for that content or obsolete. Returns the ids written. Traced as
   * `INSERT embeddings` (pairs offered, pairs written).
   */
  async upsert(modelId: number, writes: EmbeddingWrite[]): Promise<Set<string>> {
    if (writes.length === 0) return new Set();
    const start = () => ({
      attributes: {
        [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
        [ATTR_DB_OPERATION_NAME]: 'INSERT',
        [ATTR_DB_COLLECTION_NAME]: 'embeddings',
        [ATTR.pairs]: writes.length,
      },
    });
    return inSpan('INSERT embeddings', start, async (span) => {
      const written = await this.write(modelId, writes);
      span.setAttribute(ATTR.pairsWritten, written.size);
      return written;
    });
  }

  private async write(modelId: number, writes: EmbeddingWrite[]): Promise<Set<string>> {
    const written = await this.db.transaction(async (tx) => {
      const rows: Array<{ qa_pair_id: string }> = await tx.query(
        `WITH written AS (
         INSERT INTO embeddings (qa_pair_id, model_id, content_hash, embedding, tokens, embedded_at)
         SELECT q.id, $1, q.content_hash, w.embedding::vector, w.tokens, now()
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[]) AS w(id, content_hash, embedding, tokens)
         JOIN (SELECT id, content_hash FROM qa_pairs WHERE id = ANY($2::uuid[]) ORDER BY id FOR SHARE) q
           ON q.id = w.id AND q.content_hash = w.content_hash
         ON CONFLICT (qa_pair_id, model_id) DO UPDATE
           SET content_hash = EXCLUDED.content_hash, embedding = EXCLUDED.embedding,
               tokens = EXCLUDED.tokens, embedded_at = EXCLUDED.embedded_at
           WHERE embeddings.content_hash IS DISTINCT FROM EXCLUDED.content_hash
         RETURNING qa_pair_id),
         cleared AS (DELETE FROM dead_letters d USING written w WHERE d.model_id = $1 AND d.qa_pair_id = w.qa_pair_id)
         SELECT qa_pair_id FROM written`,
        [
          modelId,
          writes.map((w) => w.qaPairId),
          writes.map((w) => w.contentHash),
          writes.map((w) => toVectorLiteral(w.vector)),
          writes.map((w) => w.tokens),
        ],
      );
      return new Set(rows.map((r) => r.qa_pair_id));
    });
    this.events.emitWritten({ modelId, qaPairIds: [...written] });
    return written;
  }

  /**
   * Per-pair state under one model: embedded (current content), stale, failed or pending.
   * Lateral lookups keep it one index probe per pair however large the tables grow.
   */
  async statuses(modelId: number, ids: string[]): Promise<Map<string, EmbeddingStatus>> {
    const rows: Array<{ id: string; state: EmbeddingState; embedded_at: Date | null; error: string | null }> = await this.db.query(
      `SELECT q.id,
                CASE WHEN e.content_hash = q.content_hash THEN 'embedded'
                     WHEN d.content_hash = q.content_hash THEN 'failed'
                     WHEN e.content_hash IS NOT NULL THEN 'stale'
                     ELSE 'pending' END AS state,
                e.embedded_at,
                CASE WHEN d.content_hash = q.content_hash THEN d.last_error END AS error
         FROM qa_pairs q
         LEFT JOIN LATERAL (SELECT content_hash, embedded_at FROM embeddings
                            WHERE qa_pair_id = q.id AND model_id = $1) e ON true
         LEFT JOIN LATERAL (SELECT content_hash, last_error FROM dead_letters
                            WHERE qa_pair_id = q.id AND model_id = $1) d ON true
         WHERE q.id = ANY($2::uuid[])`,
      [modelId, ids],
    );
    return new Map(rows.map((r) => [r.id, { qaPairId: r.id, state: r.state, embeddedAt: r.embedded_at, error: r.error }]));
  }

  /**
   * The hashes behind a pair's state under a model (by name), for telling what became of
   * a job: null if the pair or the model does not exist.
   */
  async recordedHashes(qaPairId: string, modelName: string): Promise<RecordedHashes | null> {
    const rows: Array<{ current: string; embedded: string | null; dead: string | null }> = await this.db.query(
      `SELECT q.content_hash AS current, e.content_hash AS embedded, d.content_hash AS dead
       FROM qa_pairs q
       JOIN embedding_models m ON m.name = $2
       LEFT JOIN embeddings e ON e.qa_pair_id = q.id AND e.model_id = m.id
       LEFT JOIN dead_letters d ON d.qa_pair_id = q.id AND d.model_id = m.id
       WHERE q.id = $1`,
      [qaPairId, modelName],
    );
    const row = rows[0];
    return row ? { current: row.current, embedded: row.embedded, deadLettered: row.dead } : null;
  }

  /** Of `ids`, those pending under the model (as `pendingPage` means it), in id order. */
  async pendingAmong(modelId: number, ids: string[]): Promise<Array<{ id: string; contentHash: string }>> {
    if (ids.length === 0) return [];
    const model = checkedInt(modelId);
    const rows: Array<{ id: string; content_hash: string }> = await this.db.query(
      `SELECT q.id, q.content_hash FROM qa_pairs q
       WHERE q.id = ANY($1::uuid[])
         AND NOT EXISTS (SELECT 1 FROM embeddings e
                         WHERE e.qa_pair_id = q.id AND e.model_id = ${model} AND e.content_hash = q.content_hash)
         AND NOT EXISTS (SELECT 1 FROM dead_letters d
                         WHERE d.qa_pair_id = q.id AND d.model_id = ${model} AND d.content_hash = q.content_hash)
       ORDER BY q.id`,
      [ids],
    );
    return rows.map((row) => ({ id: row.id, contentHash: row.content_hash }));
  }

  /**
   * One page (by id) of pairs whose current content has no embedding under the model and
   * is not dead-lettered. Scalar subqueries keep it an index probe per pair.
   */
  async pendingPage(modelId: number, afterId: string | null, limit: number): Promise<Array<{ id: string; contentHash: string; hasOlder: boolean }>> {
    const model = checkedInt(modelId);
    const rows: Array<{ id: string; content_hash: string; has_older: boolean }> = await this.db.query(
      `SELECT q.id, q.content_hash,
              EXISTS (SELECT 1 FROM embeddings e WHERE e.qa_pair_id = q.id AND e.model_id = ${model}) AS has_older
       FROM qa_pairs q
       WHERE ($1::uuid IS NULL OR q.id > $1::uuid)
         AND NOT EXISTS (SELECT 1 FROM embeddings e
                         WHERE e.qa_pair_id = q.id AND e.model_id = ${model} AND e.content_hash = q.content_hash)
         AND NOT EXISTS (SELECT 1 FROM dead_letters d
                         WHERE d.qa_pair_id = q.id AND d.model_id = ${model} AND d.content_hash = q.content_hash)
       ORDER BY q.id
       LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((r) => ({ id: r.id, contentHash: r.content_hash, hasOlder: r.has_older }));
  }

  /** Deletes up to `limit` of a model's embeddings (a cleanup in bounded steps); returns how many. */
  async deleteEmbeddings(modelId: number, limit: number): Promise<number> {
    const [, deleted]: [unknown, number] = await this.db.query(
      `DELETE FROM embeddings WHERE model_id = $1
         AND qa_pair_id IN (SELECT qa_pair_id FROM embeddings WHERE model_id = $1 LIMIT ${checkedInt(limit)})`,
      [modelId],
    );
    return deleted;
  }

  /** Embedded / total counts under a model, for progress and stats. */
  async coverage(modelId: number): Promise<{ total: number; embedded: number }> {
    const [row]: Array<{ total: string; embedded: string }> = await this.db.query(
      `SELECT (SELECT count(*) FROM qa_pairs) AS total,
              (SELECT count(*) FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id AND q.content_hash = e.content_hash
               WHERE e.model_id = $1) AS embedded`,
      [modelId],
    );
    return { total: Number(row.total), embedded: Number(row.embedded) };
  }
}
