import type { UsagePurpose } from '../cost-analytics/usage-purpose';

export const EMBEDDINGS_QUEUE = 'embeddings';
export const EMBED_JOB = 'embed';

/** Our priorities: 1..100, higher = more urgent. */
export const PRIORITY = {
  live: 90,
  replay: 70,
  bulk: 50,
  reconcile: 40,
  migration: 10,
} as const;

/** What a job carries in Redis: identifiers only; the text is read from Postgres when sent. */
export interface EmbeddingJobData {
  qaPairId: string;
  /** Model name (embedding_models.name). */
  model: string;
  /** The content hash the job was enqueued for; a job whose pair has moved on is skipped. */
  contentHash: string;
  purpose: UsagePurpose;
  priority: number;
  /** Set on the first failed attempt, for the dead letter's first failure time. */
  firstFailedAt?: string;
}

export type EnqueueRequest = Omit<EmbeddingJobData, 'priority' | 'firstFailedAt'> & {
  priority?: number;
  maxAttempts?: number;
};

/** The public view of a job, as the job-status API shows it. */
export interface EmbeddingJob {
  id: string;
  qaPairId: string;
  model: string;
  priority: number;
  attempts: number;
  maxAttempts: number;
}

/** Same pair, model and content → same id, so enqueueing the same work twice is a no-op. */
export function embeddingJobId(qaPairId: string, model: string, contentHash: string): string {
  return `${qaPairId}:${model}:${contentHash.slice(0, 16)}`;
}

/** The pair id an embeddingJobId starts with: a pair id is a 36-character UUID. */
export function qaPairIdOfJobId(jobId: string): string {
  return jobId.slice(0, 36);
}

/** Bull runs priority 1 first; ours runs 100 first. */
export function toBullPriority(priority: number): number {
  if (!Number.isInteger(priority) || priority < 1 || priority > 100) {
    throw new RangeError(`priority must be a whole number from 1 to 100, got ${priority}`);
  }
  return 101 - priority;
}
