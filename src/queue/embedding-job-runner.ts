import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { ProviderGates } from '../circuit-breaker/provider-gates';
import { ProviderUnavailableError } from '../circuit-breaker/provider-unavailable-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { classifyProviderError, type ProviderError } from '../embeddings/providers/provider-error';
import { DeadLetterRecorder } from './dead-letters/dead-letter-recorder';
import { EmbeddingBatchProcessor, type JobOutcome } from './embedding-batch.processor';
import { EMBEDDINGS_QUEUE, type EmbeddingJobData } from './embedding-job';
import { MicroBatcher } from './micro-batcher';
import { QueueMetrics } from './queue.metrics';
import { ThroughputCounter } from './throughput-counter';

/**
 * Runs Bull jobs through the micro-batcher and decides what a failure means: a permanent
 * error is dead-lettered at once (no retries burnt), a transient one is retried by Bull
 * with backoff until the last attempt, which is dead-lettered. The dead letter is
 * written before the job is failed, so it is never lost with a removed job.
 * A job whose provider is unavailable (breaker open, rate budget used up) is neither: it
 * waits at its model's gate, holding its concurrency slot, and tries again when the gate
 * opens; no attempt is spent (see circuit-breaker/README.md, "The queue").
 */
@Injectable()
export class EmbeddingJobRunner {
  private readonly logger = new Logger(EmbeddingJobRunner.name);
  readonly batcher: MicroBatcher<Job<EmbeddingJobData>, JobOutcome>;

  constructor(
    private readonly processor: EmbeddingBatchProcessor,
    private readonly deadLetters: DeadLetterRecorder,
    private readonly models: EmbeddingModelsService,
    private readonly metrics: QueueMetrics,
    private readonly throughput: ThroughputCounter,
    private readonly gates: ProviderGates,
    @InjectQueue(EMBEDDINGS_QUEUE) queue: Queue<EmbeddingJobData>,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.batcher = new MicroBatcher({
      maxSize: config.queue.batchMaxInputs,
      quietMs: config.queue.batchQuietMs,
      maxWaitMs: config.queue.batchMaxWaitMs,
      capacity: config.queue.concurrency,
      hasBacklog: async () => (await queue.getWaitingCount()) > 0,
      flush: (model, jobs) => this.flush(model, jobs),
    });
  }

  /** Rejects with GateInterruptedError when the process stops while the job waits for its provider. */
  async run(job: Job<EmbeddingJobData>): Promise<JobOutcome> {
    const gate = this.gates.for(job.data.model);
    for (;;) {
      const pass = await gate.pass();
      try {
        const outcome = await this.batcher.submit(job.data.model, job);
        this.metrics.jobOutcomes.inc({ outcome: outcome.status });
        return outcome;
      } catch (caught) {
        if (caught instanceof ProviderUnavailableError) {
          gate.block(caught);
          this.metrics.jobsDeferred.inc({ reason: caught.reason });
          continue;
        }
        const error = classifyProviderError(caught);
        await this.onFailure(job, error);
        throw error;
      } finally {
        pass.done();
      }
    }
  }

  private async flush(model: string, jobs: Job<EmbeddingJobData>[]) {
    const report = { calls: 0, inputsPerCall: [] as number[] };
    const stopTimer = this.metrics.batchSeconds.startTimer();
    try {
      const results = await this.processor.process(model, jobs.map((job) => job.data), report);
      const embedded = results.filter((r) => r.ok && r.value.status === 'embedded').length;
      void this.throughput.record(embedded).catch(() => undefined);
      return results;
    } finally {
      stopTimer();
      for (const inputs of report.inputsPerCall) this.metrics.inputsPerCall.observe(inputs);
    }
  }

  private async onFailure(job: Job<EmbeddingJobData>, error: ProviderError): Promise<void> {
    const attempt = job.attemptsMade + 1;
    const finalAttempt = !error.retryable || attempt >= (job.opts.attempts ?? 1);
    if (!finalAttempt) {
      this.metrics.jobOutcomes.inc({ outcome: 'retry' });
      if (!job.data.firstFailedAt) {
        await job.update({ ...job.data, firstFailedAt: new Date().toISOString() }).catch(() => undefined);
      }
      return;
    }
    if (!error.retryable) job.discard();
    this.metrics.jobOutcomes.inc({ outcome: 'dead_lettered' });
    const model = await this.models.getByName(job.data.model).catch(() => undefined);
    if (!model) return;
    try {
      await this.deadLetters.record({
        qaPairId: job.data.qaPairId,
        modelId: model.id,
        contentHash: job.data.contentHash,
        purpose: job.data.purpose,
        errorKind: error.retryable ? 'exhausted' : 'permanent',
        error: error.message,
        attempts: attempt,
        jobId: String(job.id),
        firstFailedAt: job.data.firstFailedAt ? new Date(job.data.firstFailedAt) : undefined,
      });
    } catch (recordError) {
      // The pair stays pending (no embedding, no dead letter): the reconciler will try it again.
      this.logger.error({ err: recordError, jobId: job.id }, 'could not record dead letter');
    }
  }
}
