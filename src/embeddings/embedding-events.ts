import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';

export interface EmbeddingsWritten {
  modelId: number;
  qaPairIds: string[];
}

/**
 * In-process notifications about embedding writes, so other modules (near-duplicate
 * checks at ingestion) can react without the writer depending on them. Listeners run
 * after the write committed; a listener's failure never fails the write.
 */
@Injectable()
export class EmbeddingEvents extends EventEmitter<{ written: [EmbeddingsWritten] }> {
  private readonly logger = new Logger(EmbeddingEvents.name);

  emitWritten(event: EmbeddingsWritten): void {
    if (event.qaPairIds.length === 0) return;
    try {
      this.emit('written', event);
    } catch (error) {
      this.logger.warn({ err: error }, 'an embeddings-written listener failed');
    }
  }
}
