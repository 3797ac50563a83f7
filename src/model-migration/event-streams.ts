import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DomainError, unavailable } from '../common/errors';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** An open stream, as the registry sees it: a way to end it from the server side. */
export interface OpenStream {
  /** Ends the stream now, telling the client why (idempotent). */
  end(reason: string): void;
}

/**
 * The server-sent event streams open in this process. One API key may hold at most
 * SSE_MAX_STREAMS_PER_KEY of them (each polls the database and holds a connection), and
 * a stopping process ends them all: an open stream otherwise keeps `server.close()` waiting
 * forever, and with it the whole shutdown (main.ts).
 */
@Injectable()
export class EventStreams {
  private readonly byKey = new Map<string, Set<OpenStream>>();
  private closing = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * Registers a stream for the caller's key and returns its release (call it once the
   * stream ends, whichever side ended it). Over the cap → 429; while stopping → 503.
   */
  register(apiKey: string, stream: OpenStream): () => void {
    if (this.closing) throw unavailable('the server is shutting down; reconnect to another instance');
    const key = createHash('sha256').update(apiKey).digest('hex');
    const open = this.byKey.get(key) ?? new Set<OpenStream>();
    const max = this.config.sseMaxStreamsPerKey;
    if (open.size >= max) {
      throw new DomainError('too_many_requests', `this API key already has ${max} event streams open (SSE_MAX_STREAMS_PER_KEY); close one first`);
    }
    open.add(stream);
    this.byKey.set(key, open);
    return () => {
      open.delete(stream);
      if (open.size === 0 && this.byKey.get(key) === open) this.byKey.delete(key);
    };
  }

  get openCount(): number {
    let count = 0;
    for (const open of this.byKey.values()) count += open.size;
    return count;
  }

  /** Ends every open stream and refuses new ones: the process is stopping. */
  endAll(reason: string): void {
    this.closing = true;
    for (const open of [...this.byKey.values()]) for (const stream of [...open]) stream.end(reason);
  }
}
