import type { AppConfig } from '../../config/app-config';
import { ProviderError } from '../../embeddings/providers/provider-error';
import { retryDelayMs } from './backoff';

/** Every Bull queue of the service. A name added here needs its row in `queueSettings`. */
export type QueueName = 'embeddings' | 'compare';

/** What one queue runs with: its workers, its jobs' tries, and Bull's lock and stall checks. */
export interface QueueSettings {
  /** Jobs a worker process runs at once, per job name (`queue.process(name, concurrency, …)`). */
  concurrency: number;
  /** Tries per job; 1: Bull never retries it. */
  attempts: number;
  /** Delay before try n + 1, by tries made and the error (a Bull custom backoff strategy); null: not retried by Bull. */
  backoff: ((attemptsMade: number, error: Error) => number) | null;
  /** A worker holds a job's lock this long between renewals; an expired lock makes the job stalled. */
  lockDurationMs: number;
  lockRenewTimeMs: number;
  /** How often Bull looks for stalled jobs, and how many stalls it requeues before failing a job itself. */
  stalledIntervalMs: number;
  maxStalledCount: number;
  /**
   * Jobs are deleted when they finish: Postgres keeps the outcome, and a kept job would make
   * adding its id again a no-op (an A→B→A edit, a retried run).
   */
  removeOnComplete: boolean;
  removeOnFail: boolean;
}

/** The name of the custom backoff strategy a queue with `backoff` registers and its jobs ask for. */
export const BACKOFF_STRATEGY = 'jittered';

/**
 * Every queue's settings, from validated config where there is one. A `Record` over
 * QueueName: a queue without its row does not compile.
 */
export function queueSettings(config: AppConfig): Record<QueueName, QueueSettings> {
  const q = config.queue;
  const locks = {
    lockDurationMs: q.lockDurationMs,
    lockRenewTimeMs: Math.floor(q.lockDurationMs / 2),
    stalledIntervalMs: q.stalledIntervalMs,
  };
  return {
    embeddings: {
      concurrency: q.concurrency,
      attempts: q.maxAttempts,
      backoff: (attemptsMade, error) =>
        retryDelayMs(
          attemptsMade,
          { baseMs: q.backoffBaseMs, capMs: q.backoffCapMs },
          error instanceof ProviderError ? error.details.retryAfterMs : undefined,
        ),
      ...locks,
      // Bull would fail a job that stalled too often with no job left to dead-letter
      // (removeOnFail deletes it first): EmbeddingQueueConsumer counts the stalls itself.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      removeOnComplete: true,
      removeOnFail: true,
    },
    compare: {
      // Per run kind: one scan (CPU-bound) and one drift check (spends tokens) at a time per process.
      concurrency: 1,
      // A run is retried by the user (drift checks spend tokens), not by Bull.
      attempts: 1,
      backoff: null,
      ...locks,
      // A run whose worker was lost is taken over once (claim accepts a `running` run); after
      // a second stall Bull fails the job and the run reads as interrupted (its heartbeat stops).
      maxStalledCount: 1,
      removeOnComplete: true,
      removeOnFail: true,
    },
  };
}
