import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job, JobOptions, Queue } from 'bull';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { bullJobOptions } from '../common/jobs/bull-options';
import type { JobOutcome } from './batch-embedder';
import { EMBED_JOB, EMBEDDINGS_QUEUE, type EmbeddingJobData, type EnqueueRequest, embeddingJobId, PRIORITY, toBullPriority } from './embedding-job';
import { EmbeddingJobRunner } from './embedding-job-runner';
import { queueSettings } from '../common/jobs/queue-settings';
import { withTimeout } from '../common/with-timeout';
import {
  ATTR,
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_SYSTEM_BULL,
} from '../tracing/semconv';
import { failSpan, inSpan, SpanKind, type SpanStart, traceCarrier } from '../tracing/spans';

/** How long a producer waits for Redis before leaving the work to the reconciler. */
const ENQUEUE_TIMEOUT_MS = 3_000;
const BULK_CHUNK = 1_000;

const SEND_SPAN = `send ${EMBEDDINGS_QUEUE}`;

/** The producer span: its context travels in each job's data, and the job's span continues it. */
function sendSpan(requests: EnqueueRequest[]): SpanStart {
  return {
    kind: SpanKind.PRODUCER,
    attributes: {
      [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_BULL,
      [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
      [ATTR_MESSAGING_DESTINATION_NAME]: EMBEDDINGS_QUEUE,
      [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: requests.length,
      [ATTR.purpose]: [...new Set(requests.map((request) => request.purpose))].join(','),
    },
  };
}

export interface EnqueueResult {
  jobIds: string[];
  /** Jobs Redis did not take (it was unreachable): their pairs stay pending until the reconciler re-enqueues them. */
  failed: number;
}

/** The producer side of the embeddings queue. */
@Injectable()
export class EmbeddingQueue {
  private readonly logger = new Logger(EmbeddingQueue.name);
  private readonly jobOptions: JobOptions;

  constructor(
    @InjectQueue(EMBEDDINGS_QUEUE) readonly bull: Queue<EmbeddingJobData>,
    private readonly runner: EmbeddingJobRunner,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.jobOptions = bullJobOptions(queueSettings(config)[EMBEDDINGS_QUEUE]);
  }

  /** Enqueues one job; returns its id. Enqueueing the same work again is a no-op. */
  async enqueue(request: EnqueueRequest): Promise<string> {
    const start = () => sendSpan([request]);
    return inSpan(SEND_SPAN, start, async () => {
      const [add] = this.toBulk([request]);
      await withTimeout(this.bull.add(EMBED_JOB, add.data, add.opts), ENQUEUE_TIMEOUT_MS, 'enqueue');
      return add.opts.jobId as string;
    });
  }

  /**
   * Enqueues many jobs in chunks. Never throws for an unreachable Redis: Postgres holds
   * the truth, the pairs stay pending, and the reconciler enqueues them later.
   */
  async enqueueMany(requests: EnqueueRequest[]): Promise<EnqueueResult> {
    const start = () => sendSpan(requests);
    return inSpan(SEND_SPAN, start, async (span) => {
      const jobIds: string[] = [];
      let failed = 0;
      for (let start = 0; start < requests.length; start += BULK_CHUNK) {
        const chunk = this.toBulk(requests.slice(start, start + BULK_CHUNK));
        try {
          await withTimeout(this.bull.addBulk(chunk.map((job) => ({ name: EMBED_JOB, ...job }))), ENQUEUE_TIMEOUT_MS * 3, 'enqueue');
          jobIds.push(...chunk.map((job) => job.opts.jobId as string));
        } catch (error) {
          failed += chunk.length;
          failSpan(span, error);
          this.logger.warn({ err: error, jobs: chunk.length }, 'could not enqueue embedding jobs; the reconciler will retry');
        }
      }
      return { jobIds, failed };
    });
  }

  /**
   * Takes the next job (highest priority first) and runs it in this process, as a worker
   * would; for tests and tools. Returns null when the queue stays empty for Bull's drain delay.
   */
  async processNext(): Promise<{ jobId: string; outcome?: JobOutcome; error?: Error } | null> {
    const job = (await this.bull.getNextJob()) as Job<EmbeddingJobData> | undefined;
    if (!job) return null;
    const jobId = String(job.id);
    try {
      const outcome = await this.runner.run(job);
      await job.moveToCompleted(JSON.stringify(outcome), true, true);
      return { jobId, outcome };
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      await job.moveToFailed(error, true);
      return { jobId, error };
    }
  }

  getJob(id: string): Promise<Job<EmbeddingJobData> | null> {
    return this.bull.getJob(id);
  }

  private toBulk(requests: EnqueueRequest[]): Array<{ data: EmbeddingJobData; opts: JobOptions }> {
    // The active (send) span's context, carried by every job; none while tracing is off.
    const traceContext = traceCarrier();
    return requests.map((request) => {
      const priority = request.priority ?? PRIORITY.live;
      return {
        data: {
          qaPairId: request.qaPairId,
          model: request.model,
          contentHash: request.contentHash,
          purpose: request.purpose,
          priority,
          ...(traceContext && { traceContext }),
        },
        opts: {
          ...this.jobOptions,
          jobId: embeddingJobId(request.qaPairId, request.model, request.contentHash),
          priority: toBullPriority(priority),
          ...(request.maxAttempts !== undefined && { attempts: request.maxAttempts }),
        },
      };
    });
  }
}
