import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import { notFound } from '../../common/errors';
import type { UsagePurpose } from '../../cost-analytics/usage-purpose';
import { EmbeddingModelsService } from '../../embeddings/embedding-models.service';
import { PRIORITY } from '../embedding-job';
import { EmbeddingQueue } from '../embedding-queue.service';
import { type DeadLetterKind, DeadLetterEntity } from '../../embeddings/dead-letter.entity';

export interface DeadLetterFilter {
  model?: string;
  errorKind?: DeadLetterKind;
  qaPairId?: string;
  includeDiscarded?: boolean;
}

/** Dead letters: recorded when a job gives up, listed, replayed (one, by filter, all) or discarded. */
@Injectable()
export class DeadLettersService {
  constructor(
    @InjectRepository(DeadLetterEntity) private readonly letters: Repository<DeadLetterEntity>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly models: EmbeddingModelsService,
    private readonly queue: EmbeddingQueue,
  ) {}

  async list(filter: DeadLetterFilter, limit: number, offset: number): Promise<{ total: number; items: DeadLetterEntity[] }> {
    const query = await this.filtered(filter);
    const [items, total] = await query.orderBy('d.last_failed_at', 'DESC').addOrderBy('d.id').take(limit).skip(offset).getManyAndCount();
    return { total, items };
  }

  async get(id: string): Promise<DeadLetterEntity> {
    const letter = await this.letters.findOneBy({ id });
    if (!letter) throw notFound('dead letter', id);
    return letter;
  }

  /** Deletes the letter and enqueues the pair's current content afresh (full attempts). */
  async replay(id: string): Promise<{ replayed: number }> {
    return this.replayLetters([await this.get(id)]);
  }

  /** Replays every letter matching the filter (an empty filter replays all), in pages. */
  async replayMatching(filter: DeadLetterFilter): Promise<{ replayed: number }> {
    let replayed = 0;
    for (;;) {
      const page = await (await this.filtered(filter)).orderBy('d.id').take(500).getMany();
      if (page.length === 0) return { replayed };
      replayed += (await this.replayLetters(page)).replayed;
    }
  }

  /** Hides the letter and stops the reconciler retrying this content; an edit of the pair starts afresh. */
  async discard(id: string): Promise<DeadLetterEntity> {
    const letter = await this.get(id);
    letter.discardedAt = new Date();
    return this.letters.save(letter);
  }

  private async replayLetters(letters: DeadLetterEntity[]): Promise<{ replayed: number }> {
    const ids = letters.map((letter) => letter.id);
    // TypeORM answers a DELETE … RETURNING with [rows, affected].
    const [rows]: [Array<{ qa_pair_id: string; content_hash: string; purpose: UsagePurpose; name: string }>, number] = await this.db.query(
      `DELETE FROM dead_letters d USING qa_pairs q, embedding_models m
       WHERE d.id = ANY($1::uuid[]) AND q.id = d.qa_pair_id AND m.id = d.model_id
       RETURNING d.qa_pair_id, q.content_hash, d.purpose, m.name`,
      [ids],
    );
    // If Redis is unreachable the letters are gone but the pairs are pending: the reconciler enqueues them.
    await this.queue.enqueueMany(
      rows.map((row) => ({ qaPairId: row.qa_pair_id, model: row.name, contentHash: row.content_hash, purpose: row.purpose, priority: PRIORITY.replay })),
    );
    return { replayed: rows.length };
  }

  private async filtered(filter: DeadLetterFilter) {
    const query = this.letters.createQueryBuilder('d');
    if (!filter.includeDiscarded) query.andWhere('d.discarded_at IS NULL');
    if (filter.errorKind) query.andWhere('d.error_kind = :kind', { kind: filter.errorKind });
    if (filter.qaPairId) query.andWhere('d.qa_pair_id = :pair', { pair: filter.qaPairId });
    if (filter.model) {
      const model = await this.models.getByName(filter.model);
      query.andWhere('d.model_id = :model', { model: model.id });
    }
    return query;
  }
}
