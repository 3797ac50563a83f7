import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { fromVectorSend } from './binary-vectors';
import { checkedInt } from './vector-sql';

/** A pair whose current content has no embedding under the target model yet. */
export interface PairToMigrate {
  qaPairId: string;
  contentHash: string;
  /** Its current content is embedded under the source model (it is "still on the old model"). */
  onSource: boolean;
  /** It has a target embedding, of an older version of its content. */
  staleTarget: boolean;
}

export interface CoverageCounts {
  total: number;
  /** Pairs whose current content is embedded under the target. */
  completed: number;
  /** Pairs whose current content is dead-lettered under the target (and not embedded). */
  failed: number;
}

export interface SampledPair {
  qaPairId: string;
  source: Float32Array;
  target: Float32Array;
}

/**
 * Read-only questions about embedding state across two models, a source and a target (the
 * model migration asks them): which pairs the target lacks, what they cost to embed, which
 * are settled, how far the target is behind the source, a sample embedded under both.
 * Embeddings (and dead letters) count only for the content hash they were made from, as
 * everywhere in this module.
 */
@Injectable()
export class EmbeddingCoverage {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One page (by id) of pairs lacking a current target embedding, dead-lettered ones included. */
  async pairsToMigrate(fromId: number, toId: number, afterId: string | null, limit: number): Promise<PairToMigrate[]> {
    const [from, to] = [checkedInt(fromId), checkedInt(toId)];
    const rows: Array<{ id: string; content_hash: string; on_source: boolean; stale_target: boolean }> = await this.db.query(
      `SELECT q.id, q.content_hash,
              EXISTS (SELECT 1 FROM embeddings o WHERE o.qa_pair_id = q.id AND o.model_id = ${from} AND o.content_hash = q.content_hash) AS on_source,
              EXISTS (SELECT 1 FROM embeddings n WHERE n.qa_pair_id = q.id AND n.model_id = ${to}) AS stale_target
       FROM qa_pairs q
       WHERE ($1::uuid IS NULL OR q.id > $1::uuid)
         AND NOT EXISTS (SELECT 1 FROM embeddings n WHERE n.qa_pair_id = q.id AND n.model_id = ${to} AND n.content_hash = q.content_hash)
       ORDER BY q.id
       LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((r) => ({ qaPairId: r.id, contentHash: r.content_hash, onSource: r.on_source, staleTarget: r.stale_target }));
  }

  /**
   * Pairs to migrate and their tokens where the source model already counted them: the
   * same text under the same tokenizer (cl100k_base) has the same count.
   */
  async storedTokenCounts(fromId: number, toId: number): Promise<{ pairs: number; withStoredCount: number; storedTokens: number }> {
    const [row]: Array<{ pairs: string; with_stored: string; stored_tokens: string }> = await this.db.query(
      `SELECT count(*) AS pairs, count(o.tokens) AS with_stored, coalesce(sum(o.tokens), 0) AS stored_tokens
       FROM qa_pairs q
       LEFT JOIN embeddings o ON o.qa_pair_id = q.id AND o.model_id = $1 AND o.content_hash = q.content_hash
       WHERE NOT EXISTS (SELECT 1 FROM embeddings n WHERE n.qa_pair_id = q.id AND n.model_id = $2 AND n.content_hash = q.content_hash)`,
      [fromId, toId],
    );
    return { pairs: Number(row.pairs), withStoredCount: Number(row.with_stored), storedTokens: Number(row.stored_tokens) };
  }

  /** One page of the texts of pairs to migrate that the source has no count for: they are counted here. */
  async uncountedTexts(
    fromId: number,
    toId: number,
    afterId: string | null,
    limit: number,
  ): Promise<Array<{ id: string; question: string; answer: string }>> {
    return this.db.query(
      `SELECT q.id, q.question, q.answer
       FROM qa_pairs q
       WHERE ($3::uuid IS NULL OR q.id > $3::uuid)
         AND NOT EXISTS (SELECT 1 FROM embeddings n WHERE n.qa_pair_id = q.id AND n.model_id = $2 AND n.content_hash = q.content_hash)
         AND NOT EXISTS (SELECT 1 FROM embeddings o WHERE o.qa_pair_id = q.id AND o.model_id = $1 AND o.content_hash = q.content_hash)
       ORDER BY q.id
       LIMIT $4`,
      [fromId, toId, afterId, limit],
    );
  }

  /**
   * Of these pairs, those that need nothing more under the target: embedded or dead-lettered
   * for their current content, or deleted. Written as per-pair lookups (LIMIT 1 keeps the
   * planner from hashing whole tables), so its cost follows the number of ids, not the tables.
   */
  async settledPairs(toId: number, ids: string[]): Promise<Set<string>> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT w.id
       FROM unnest($2::uuid[]) AS w(id)
       LEFT JOIN LATERAL (SELECT q.content_hash FROM qa_pairs q WHERE q.id = w.id LIMIT 1) q ON true
       WHERE q.content_hash IS NULL
          OR (SELECT true FROM embeddings e WHERE e.qa_pair_id = w.id AND e.model_id = $1 AND e.content_hash = q.content_hash LIMIT 1)
          OR (SELECT true FROM dead_letters d WHERE d.qa_pair_id = w.id AND d.model_id = $1 AND d.content_hash = q.content_hash LIMIT 1)`,
      [toId, ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  async counts(toId: number): Promise<CoverageCounts> {
    const [row]: Array<{ total: string; completed: string; failed: string }> = await this.db.query(
      `SELECT (SELECT count(*) FROM qa_pairs) AS total,
              (SELECT count(*) FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id AND q.content_hash = e.content_hash
               WHERE e.model_id = $1) AS completed,
              (SELECT count(*) FROM dead_letters d JOIN qa_pairs q ON q.id = d.qa_pair_id AND q.content_hash = d.content_hash
               WHERE d.model_id = $1
                 AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.qa_pair_id = q.id AND e.model_id = $1 AND e.content_hash = q.content_hash)) AS failed`,
      [toId],
    );
    return { total: Number(row.total), completed: Number(row.completed), failed: Number(row.failed) };
  }

  /**
   * Pairs search would lose by switching: current under the source, neither current nor
   * dead-lettered under the target. Zero means the target covers what the source serves.
   */
  async behind(fromId: number, toId: number): Promise<number> {
    const [row]: Array<{ n: string }> = await this.db.query(
      `SELECT count(*) AS n
       FROM embeddings o JOIN qa_pairs q ON q.id = o.qa_pair_id AND q.content_hash = o.content_hash
       WHERE o.model_id = $1
         AND NOT EXISTS (SELECT 1 FROM embeddings n WHERE n.qa_pair_id = q.id AND n.model_id = $2 AND n.content_hash = q.content_hash)
         AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.qa_pair_id = q.id AND d.model_id = $2 AND d.content_hash = q.content_hash)`,
      [fromId, toId],
    );
    return Number(row.n);
  }

  /** A random sample of pairs embedded (current content) under both models, with both vectors. */
  async sample(fromId: number, toId: number, size: number): Promise<SampledPair[]> {
    // Ids first, vectors only for the chosen few: sorting the join with vectors would detoast them all.
    const rows: Array<{ id: string; source: Buffer; target: Buffer }> = await this.db.query(
      `WITH chosen AS (
         SELECT q.id FROM qa_pairs q
         JOIN embeddings o ON o.qa_pair_id = q.id AND o.model_id = $1 AND o.content_hash = q.content_hash
         JOIN embeddings n ON n.qa_pair_id = q.id AND n.model_id = $2 AND n.content_hash = q.content_hash
         ORDER BY random() LIMIT $3)
       SELECT c.id, vector_send(o.embedding) AS source, vector_send(n.embedding) AS target
       FROM chosen c
       JOIN embeddings o ON o.qa_pair_id = c.id AND o.model_id = $1
       JOIN embeddings n ON n.qa_pair_id = c.id AND n.model_id = $2`,
      [fromId, toId, size],
    );
    return rows.map((r) => ({ qaPairId: r.id, source: fromVectorSend(r.source), target: fromVectorSend(r.target) }));
  }
}
