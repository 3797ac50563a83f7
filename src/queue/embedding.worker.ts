import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bull';
import { APP_CONFIG, type AppConfig, hasRole } from '../config/app-config';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { DeadLetterRecorder } from './dead-letters/dead-letter-recorder';
import { EMBED_JOB, type EmbeddingJobData } from './embedding-job';
import { EmbeddingJobRunner } from './embedding-job-runner';
import { EmbeddingQueue } from './embedding-queue.service';

const STALLED_TOO_OFTEN = 'job stalled more than allowable limit';

/**
 * The consumer side, started only in processes with the `worker` role. The handler is
 * registered with `queue.process(name, concurrency, …)` rather than @nestjs/bull's
 * `@Process()`, whose concurrency is a decorator literal and cannot come from validated
 * config; what @Processor would add (explorer, events) we do not need.
 */
@Injectable()
export class EmbeddingWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EmbeddingWorker.name);
  private started = false;

  constructor(
    private readonly queue: EmbeddingQueue,
    private readonly runner: EmbeddingJobRunner,
    private readonly deadLetters: DeadLetterRecorder,
    private readonly models: EmbeddingModelsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!hasRole(this.config, 'worker')) return;
    this.started = true;
    this.queue.bull.on('failed', (job: Job<EmbeddingJobData> | null, error: Error) => {
      if (job && error?.message === STALLED_TOO_OFTEN) void this.onStalledTooOften(job);
    });
    this.queue.bull.on('error', (error: Error) => this.logger.warn({ err: error }, 'queue error'));
    void this.queue.bull
      .process(EMBED_JOB, this.config.queue.concurrency, (job: Job<EmbeddingJobData>) => this.runner.run(job))
      .catch((error: unknown) => this.logger.error({ err: error }, 'embedding worker stopped'));
    this.logger.log(`embedding worker started (concurrency ${this.config.queue.concurrency}, batches of ≤ ${this.config.queue.batchMaxInputs})`);
  }

  /** Stops taking jobs and lets the ones in flight finish (up to SHUTDOWN_GRACE_MS) before producers close. */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.config.shutdownGraceMs).unref());
    const closed = this.queue.bull.close().then(() => 'closed' as const);
    if ((await Promise.race([closed, grace])) === 'timeout') {
      this.logger.warn('in-flight embedding jobs did not finish in time; they will be picked up again as stalled jobs');
    }
  }

  /** Bull fails a job that stalled twice without a normal attempt: keep it as a dead letter. */
  private async onStalledTooOften(job: Job<EmbeddingJobData>): Promise<void> {
    const model = await this.models.getByName(job.data.model).catch(() => undefined);
    if (!model) return;
    await this.deadLetters
      .record({
        qaPairId: job.data.qaPairId,
        modelId: model.id,
        contentHash: job.data.contentHash,
        purpose: job.data.purpose,
        errorKind: 'stalled',
        error: 'the worker processing this job was lost twice (stalled)',
        attempts: job.attemptsMade,
        jobId: String(job.id),
      })
      .catch((error: unknown) => this.logger.error({ err: error }, 'could not record dead letter for a stalled job'));
    await job.remove().catch(() => undefined);
  }
}
