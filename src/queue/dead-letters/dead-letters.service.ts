import { Injectable } from '@nestjs/common';
import { notFound } from '../../common/errors';
import type { DeadLetterKind, DeadLetterEntity } from '../../embeddings/dead-letter.entity';
import { type DeadLetterQuery, DeadLetterStore } from '../../embeddings/dead-letter-store';
import { EmbeddingModelsService } from '../../embeddings/embedding-models.service';
import { PRIORITY } from '../embedding-job';
import { EmbeddingQueue } from '../embedding-queue.service';

export interface DeadLetterFilter {
  model?: string;
  errorKind?: DeadLetterKind;
  qaPairId?: string;
  includeDiscarded?: boolean;
}

/**
 * Dead letters as the API sees them: listed, replayed (one, by filter, all) or discarded.
 * The rows are the embeddings module's (`DeadLetterStore`); replaying is the queue's part,
 * enqueueing the pairs' current content again.
 */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly letters: DeadLetterStore,
    private readonly models: EmbeddingModelsService,
    private readonly queue: EmbeddingQueue,
  ) {}

  async list(filter: DeadLetterFilter, limit: number, offset: number): Promise<{ total: number; items: DeadLetterEntity[] }> {
    return this.letters.list(await this.query(filter), limit, offset);
  }

  async get(id: string): Promise<DeadLetterEntity> {
    const letter = await this.letters.get(id);
    if (!letter) throw notFound('dead letter', id);
    return letter;
  }

  /** Deletes the letter and enqueues the pair's current content afresh (full attempts). */
  async replay(id: string): Promise<{ replayed: number }> {
    return this.replayLetters([await this.get(id)]);
  }

  /** Replays every letter matching the filter (an empty filter replays all), in pages. */
  async replayMatching(filter: DeadLetterFilter): Promise<{ replayed: number }> {
    const query = await this.query(filter);
    let replayed = 0;
    for (;;) {
      const page = await this.letters.firstById(query, 500);
      if (page.length === 0) return { replayed };
      replayed += (await this.replayLetters(page)).replayed;
    }
  }

  /** Hides the letter and stops the reconciler retrying this content; an edit of the pair starts afresh. */
  async discard(id: string): Promise<DeadLetterEntity> {
    const letter = await this.letters.discard(id);
    if (!letter) throw notFound('dead letter', id);
    return letter;
  }

  private async replayLetters(letters: DeadLetterEntity[]): Promise<{ replayed: number }> {
    const taken = await this.letters.takeForReplay(letters.map((letter) => letter.id));
    // If Redis is unreachable the letters are gone but the pairs are pending: the reconciler enqueues them.
    await this.queue.enqueueMany(
      taken.map((t) => ({ qaPairId: t.qaPairId, model: t.modelName, contentHash: t.contentHash, purpose: t.purpose, priority: PRIORITY.replay })),
    );
    return { replayed: taken.length };
  }

  /** The filter with the model's name resolved (an unknown model is a 404). */
  private async query(filter: DeadLetterFilter): Promise<DeadLetterQuery> {
    const { model, ...rest } = filter;
    return model ? { ...rest, modelId: (await this.models.getByName(model)).id } : rest;
  }
}
