import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';

/** A search that was answered: what was asked, and what it answered with. */
export interface SearchAnswered {
  /** Normalised, as embedded. */
  query: string;
  category?: string;
  mode: 'vector' | 'lexical' | 'hybrid';
  modelId: number;
  limit: number;
  resultIds: string[];
}

/**
 * In-process notifications of answered searches, so other modules (query capture, shadow
 * searches on a migration's target) can follow live traffic without search depending on
 * them. Listeners run synchronously before the answer is sent: they must only schedule
 * their work, and a listener's failure never fails the search.
 */
@Injectable()
export class SearchEvents extends EventEmitter<{ answered: [SearchAnswered] }> {
  private readonly logger = new Logger(SearchEvents.name);

  emitAnswered(event: SearchAnswered): void {
    try {
      this.emit('answered', event);
    } catch (error) {
      this.logger.warn({ err: error }, 'a search-answered listener failed');
    }
  }
}
