import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import type { RunKind } from './compare-runs';
import { withTimeout } from '../../common/with-timeout';

export const COMPARE_QUEUE = 'compare';

/** What a job carries: the run to execute and which attempt of it (a retried run ignores older jobs). */
export interface CompareJobData {
  runId: string;
  attempt: number;
}

/** How long a producer waits for Redis before reporting the run as not queued. */
const ENQUEUE_TIMEOUT_MS = 3_000;
/** A status read does not wait long for Redis: without an answer the run simply reads as queued. */
const LOOKUP_TIMEOUT_MS = 1_000;

/** The producer side of the `compare` queue: one job per attempt of a background run. */
@Injectable()
export class CompareQueue {
  constructor(@InjectQueue(COMPARE_QUEUE) readonly bull: Queue<CompareJobData>) {}

  async enqueue(kind: RunKind, data: CompareJobData): Promise<void> {
    await withTimeout(
      this.bull.add(kind, data, {
        jobId: compareJobId(data),
        // A run is retried by the user (drift checks spend tokens), not by Bull; Postgres keeps the outcome.
        attempts: 1,
        removeOnComplete: true,
        removeOnFail: true,
      }),
      ENQUEUE_TIMEOUT_MS,
      'enqueue',
    );
  }

  /** Whether the job of this attempt is still in Redis (waiting, active or delayed). */
  async holds(data: CompareJobData): Promise<boolean> {
    return (await withTimeout(this.bull.getJob(compareJobId(data)), LOOKUP_TIMEOUT_MS, 'job lookup')) !== null;
  }
}

export function compareJobId({ runId, attempt }: CompareJobData): string {
  return `${runId}:${attempt}`;
}
