import { Injectable, Logger } from '@nestjs/common';
import { type DeadLetterRecord, DeadLetterStore } from '../../embeddings/dead-letter-store';

/**
 * Records a dead letter when a job gives up (the worker's side; the API side is
 * DeadLettersService): the row through `DeadLetterStore`, then the warning in the log.
 */
@Injectable()
export class DeadLetterRecorder {
  private readonly logger = new Logger(DeadLetterRecorder.name);

  constructor(private readonly store: DeadLetterStore) {}

  /** One row per (pair, model): a later failure of the same work updates it. */
  async record(letter: DeadLetterRecord): Promise<void> {
    await this.store.record(letter);
    this.logger.warn(
      { qaPairId: letter.qaPairId, modelId: letter.modelId, kind: letter.errorKind, attempts: letter.attempts, error: letter.error },
      'embedding job dead-lettered',
    );
  }
}
