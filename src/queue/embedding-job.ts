import type { UsagePurpose } from '../cost-analytics/usage-purpose';
import type { QueueName } from '../common/jobs/queue-settings';
import type { TraceCarrier } from '../tracing/spans';

export const EMBEDDINGS_QUEUE = 'embeddings' satisfies QueueName;
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
  /**
   * W3C trace context of the span that enqueued the job (`traceparent`, `tracestate`), so the
   * worker's span continues the request's trace; absent while tracing is off.
   */
  traceContext?: TraceCarrier;
}

export type EnqueueRequest = Omit<EmbeddingJobData, 'priority' | 'firstFailedAt' | 'traceContext'> & {
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

const POSTPONED_SUFFIX = ':postponed';

/**
 * The id a postponed job's work is re-added under (see EmbeddingQueueConsumer.postpone). It
 * alternates between the base id and one derived id: the job being postponed still holds
 * its own id (Bull would ignore the add). Whoever looks work up by id (migration control,
 * job status) must look under both: `workJobIds`.
 */
export function postponedJobId(jobId: string): string {
  return jobId.endsWith(POSTPONED_SUFFIX) ? jobId.slice(0, -POSTPONED_SUFFIX.length) : jobId + POSTPONED_SUFFIX;
}

/** The ids one piece of work can be queued under: its base id and its postponed id. */
export function workJobIds(jobId: string): [string, string] {
  return [jobId, postponedJobId(jobId)];
}

export interface ParsedJobId {
  qaPairId: string;
  model: string;
  hashPrefix: string;
  postponed: boolean;
}

/**
 * Model names may contain `:`, so an id is read from its fixed ends: a UUID first, the
 * 16-hex hash prefix last (before an optional `:postponed`), the model name in between.
 */
const JOB_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(.+):([0-9a-f]{16})(:postponed)?$/;

/** The parts of an embeddingJobId (or its postponed form); null for anything else. */
export function parseEmbeddingJobId(jobId: string): ParsedJobId | null {
  const match = JOB_ID.exec(jobId);
  if (!match) return null;
  return { qaPairId: match[1], model: match[2], hashPrefix: match[3], postponed: match[4] !== undefined };
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
