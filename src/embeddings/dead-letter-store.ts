import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import type { UsagePurpose } from '../cost-analytics/usage-purpose';
import { type DeadLetterKind, DeadLetterEntity } from './dead-letter.entity';

/** A job's embedding work that gave up, as the queue reports it. */
export interface DeadLetterRecord {
  qaPairId: string;
  modelId: number;
  contentHash: string;
  purpose: string;
  errorKind: DeadLetterKind;
  error: string;
  attempts: number;
  jobId?: string;
  firstFailedAt?: Date;
}

/** Which letters: every condition given must hold. */
export interface DeadLetterQuery {
  modelId?: number;
  errorKind?: DeadLetterKind;
  qaPairId?: string;
  includeDiscarded?: boolean;
}

/** What a letter taken for replay asked for: the pair's current content, under the model. */
export interface TakenLetter {
  qaPairId: string;
  contentHash: string;
  purpose: UsagePurpose;
  modelName: string;
}

/**
 * Every read and write of `dead_letters`, the *failed* embedding state: a pair's content
 * that could not be embedded under a model. Like an embedding, a letter counts only for the
 * content hash it was recorded for. `EmbeddingStore.upsert` clears the letters of the pairs
 * it writes in the same statement (so the two tables never disagree); the queue records,
 * lists, discards and replays letters through this store.
 */
@Injectable()
export class DeadLetterStore {
  constructor(
    @InjectRepository(DeadLetterEntity) private readonly letters: Repository<DeadLetterEntity>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /** One row per (pair, model): a later failure of the same work updates it. A deleted pair gets none. */
  async record(letter: DeadLetterRecord): Promise<void> {
    const failedAt = new Date();
    await this.db.query(
      `INSERT INTO dead_letters (qa_pair_id, model_id, content_hash, purpose, error_kind, last_error, attempts, job_id,
                                 first_failed_at, last_failed_at)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE EXISTS (SELECT 1 FROM qa_pairs WHERE id = $1)
       ON CONFLICT (qa_pair_id, model_id) DO UPDATE SET
         first_failed_at = CASE WHEN dead_letters.content_hash = EXCLUDED.content_hash AND dead_letters.discarded_at IS NULL
                                THEN dead_letters.first_failed_at ELSE EXCLUDED.first_failed_at END,
         content_hash = EXCLUDED.content_hash, purpose = EXCLUDED.purpose, error_kind = EXCLUDED.error_kind,
         last_error = EXCLUDED.last_error, attempts = EXCLUDED.attempts, job_id = EXCLUDED.job_id,
         last_failed_at = EXCLUDED.last_failed_at, discarded_at = NULL`,
      [
        letter.qaPairId,
        letter.modelId,
        letter.contentHash,
        letter.purpose,
        letter.errorKind,
        letter.error.slice(0, 4000),
        letter.attempts,
        letter.jobId ?? null,
        letter.firstFailedAt ?? failedAt,
        failedAt,
      ],
    );
  }

  /** A page of matching letters, most recently failed first. */
  async list(query: DeadLetterQuery, limit: number, offset: number): Promise<{ total: number; items: DeadLetterEntity[] }> {
    // The page and its total from one snapshot (`database/read-page.ts` says why).
    const [items, total] = await this.letters.manager.transaction('REPEATABLE READ', (manager) =>
      this.matching(query, manager.getRepository(DeadLetterEntity))
        .orderBy('d.last_failed_at', 'DESC')
        .addOrderBy('d.id')
        .take(limit)
        .skip(offset)
        .getManyAndCount(),
    );
    return { total, items };
  }

  /** The first `limit` matching letters by id (replaying in pages). */
  firstById(query: DeadLetterQuery, limit: number): Promise<DeadLetterEntity[]> {
    return this.matching(query).orderBy('d.id').take(limit).getMany();
  }

  get(id: string): Promise<DeadLetterEntity | null> {
    return this.letters.findOneBy({ id });
  }

  /** Marks the letter discarded (hidden, not retried by the reconciler); null if there is none. */
  async discard(id: string): Promise<DeadLetterEntity | null> {
    const letter = await this.get(id);
    if (!letter) return null;
    letter.discardedAt = new Date();
    return this.letters.save(letter);
  }

  /**
   * Deletes these letters and returns what each asks to embed again: its pair's current
   * content (not the letter's) under its model.
   */
  async takeForReplay(ids: string[]): Promise<TakenLetter[]> {
    // TypeORM answers a DELETE … RETURNING with [rows, affected].
    const [rows]: [Array<{ qa_pair_id: string; content_hash: string; purpose: UsagePurpose; name: string }>, number] = await this.db.query(
      `DELETE FROM dead_letters d USING qa_pairs q, embedding_models m
       WHERE d.id = ANY($1::uuid[]) AND q.id = d.qa_pair_id AND m.id = d.model_id
       RETURNING d.qa_pair_id, q.content_hash, d.purpose, m.name`,
      [ids],
    );
    return rows.map((row) => ({ qaPairId: row.qa_pair_id, contentHash: row.content_hash, purpose: row.purpose, modelName: row.name }));
  }

  /** Letters not discarded, across models. */
  async countOpen(): Promise<number> {
    const [row]: Array<{ n: number }> = await this.db.query(`SELECT count(*)::int AS n FROM dead_letters WHERE discarded_at IS NULL`);
    return row.n;
  }

  private matching(query: DeadLetterQuery, letters: Repository<DeadLetterEntity> = this.letters) {
    const builder = letters.createQueryBuilder('d');
    if (!query.includeDiscarded) builder.andWhere('d.discarded_at IS NULL');
    if (query.errorKind) builder.andWhere('d.error_kind = :kind', { kind: query.errorKind });
    if (query.qaPairId) builder.andWhere('d.qa_pair_id = :pair', { pair: query.qaPairId });
    if (query.modelId !== undefined) builder.andWhere('d.model_id = :model', { model: query.modelId });
    return builder;
  }
}
