import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import type { JobOptions, Queue } from 'bull';
import { withTimeout } from '../../common/with-timeout';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { bullJobOptions } from '../../common/jobs/bull-options';
import { queueSettings, type QueueName } from '../../common/jobs/queue-settings';
import type { RunKind } from './compare-runs';

export const COMPARE_QUEUE = 'compare' satisfies QueueName;

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
  private readonly jobOptions: JobOptions;

  constructor(
    @InjectQueue(COMPARE_QUEUE) readonly bull: Queue<CompareJobData>,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.jobOptions = bullJobOptions(queueSettings(config)[COMPARE_QUEUE]);
  }

  async enqueue(kind: RunKind, data: CompareJobData): Promise<void> {
    await withTimeout(this.bull.add(kind, data, { ...this.jobOptions, jobId: compareJobId(data) }), ENQUEUE_TIMEOUT_MS, 'enqueue');
  }

  /** Whether the job of this attempt is still in Redis (waiting, active or delayed). */
  async holds(data: CompareJobData): Promise<boolean> {
    return (await withTimeout(this.bull.getJob(compareJobId(data)), LOOKUP_TIMEOUT_MS, 'job lookup')) !== null;
  }
}

export function compareJobId({ runId, attempt }: CompareJobData): string {
  return `${runId}:${attempt}`;
}
