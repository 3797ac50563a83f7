import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { setTimeout as sleep } from 'node:timers/promises';
import { GateInterruptedError } from '../circuit-breaker/provider-gate';
import { ProviderGates } from '../circuit-breaker/provider-gates';
import { ProviderUnavailableError } from '../circuit-breaker/provider-unavailable-error';
import { DEPENDENCY_RETRY_MS, isDependencyDown } from '../common/dependency-errors';
import { isDomainError } from '../common/errors';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { DeadLetterRecord } from '../embeddings/dead-letter-store';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { classifyProviderError, ProviderError } from '../embeddings/providers/provider-error';
import { retryDelayMs } from '../common/jobs/backoff';
import { DeadLetterRecorder } from './dead-letters/dead-letter-recorder';
import { BatchEmbedder, type JobOutcome } from './batch-embedder';
import { EMBEDDINGS_QUEUE, type EmbeddingJobData } from './embedding-job';
import { MicroBatcher } from './micro-batcher';
import { QueueMetrics } from './queue.metrics';
import { ThroughputCounter } from './throughput-counter';
import {
  ATTR,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_SYSTEM_BULL,
} from '../tracing/semconv';
import { annotateActiveSpan, contextFromCarrier, contextWithParent, inSpan, linksTo, type SpanContext, SpanKind } from '../tracing/spans';

/**
 * Runs Bull jobs through the micro-batcher and decides what a failure means: a permanent
 * error is dead-lettered at once (no retries burnt), a transient one is retried by Bull
 * with backoff until the last attempt, which is dead-lettered. The dead letter is
 * written before the job is failed, so it is never lost with a removed job.
 * A job whose provider is unavailable (breaker open, rate budget used up) is neither: it
 * waits at its model's gate, holding its concurrency slot, and tries again when the gate
 * opens; no attempt is spent (see circuit-breaker/README.md, "The queue"). Likewise a job
 * that met PostgreSQL or Redis down (`isDependencyDown`) waits, with backoff, and tries
 * again: an outage is never a failed attempt, and never a dead letter.
 */
@Injectable()
export class EmbeddingJobRunner {
  private readonly logger = new Logger(EmbeddingJobRunner.name);
  /** Aborted on shutdown: jobs waiting out a dependency outage let go (the worker postpones them). */
  private readonly stopping = new AbortController();
  readonly batcher: MicroBatcher<Job<EmbeddingJobData>, JobOutcome>;
  private readonly lockDurationMs: number;
  /** Each job's span while it runs, for the batch that serves it to link to (tracing on only). */
  private readonly jobSpans = new WeakMap<Job<EmbeddingJobData>, SpanContext>();

  constructor(
    private readonly processor: BatchEmbedder,
    private readonly deadLetters: DeadLetterRecorder,
    private readonly models: EmbeddingModelsService,
    private readonly metrics: QueueMetrics,
    private readonly throughput: ThroughputCounter,
    private readonly gates: ProviderGates,
    @InjectQueue(EMBEDDINGS_QUEUE) queue: Queue<EmbeddingJobData>,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.lockDurationMs = config.queue.lockDurationMs;
    this.batcher = new MicroBatcher({
      maxSize: config.queue.batchMaxInputs,
      quietMs: config.queue.batchQuietMs,
      maxWaitMs: config.queue.batchMaxWaitMs,
      capacity: config.queue.concurrency,
      hasBacklog: async () => (await queue.getWaitingCount()) > 0,
      flush: (model, jobs) => this.flush(model, jobs),
    });
  }

  /**
   * Rejects with GateInterruptedError when the process stops while the job waits for its provider or a dependency.
   * Traced as the job's consumer span, a child of the span that enqueued it (context carried in the job's data).
   */
  async run(job: Job<EmbeddingJobData>): Promise<JobOutcome> {
    const start = () => ({
      kind: SpanKind.CONSUMER,
      parent: contextFromCarrier(job.data.traceContext),
      attributes: {
        [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_BULL,
        [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
        [ATTR_MESSAGING_DESTINATION_NAME]: EMBEDDINGS_QUEUE,
        [ATTR_MESSAGING_MESSAGE_ID]: String(job.id),
        [ATTR.model]: job.data.model,
        [ATTR.purpose]: job.data.purpose,
        [ATTR.jobAttempt]: job.attemptsMade + 1,
      },
    });
    return inSpan(`process ${EMBEDDINGS_QUEUE}`, start, async (span) => {
      if (span.isRecording()) this.jobSpans.set(job, span.spanContext());
      const releaseLock = this.keepLock(job);
      try {
        const outcome = await this.runHeld(job);
        span.setAttribute(ATTR.jobOutcome, outcome.status);
        return outcome;
      } finally {
        releaseLock();
      }
    });
  }

  /**
   * Renews the job's lock while this runner holds it. Bull renews it too, but stops for good
   * after one failed renewal (a Redis blip): a job held past its lock (at an open breaker,
   * out an outage) would then be taken for stalled, run a second time alongside this one
   * (a second purchase) and charged a stall, an attempt spent on an outage.
   */
  private keepLock(job: Job<EmbeddingJobData>): () => void {
    const timer = setInterval(() => void job.extendLock(this.lockDurationMs).catch(() => undefined), this.lockDurationMs / 4);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async runHeld(job: Job<EmbeddingJobData>): Promise<JobOutcome> {
    const gate = this.gates.for(job.data.model);
    for (let outages = 0; ;) {
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
        // A provider's own failure (its host unreachable included) is never a dependency outage.
        if (caught instanceof ProviderError || !isDependencyDown(caught)) {
          const error = classifyProviderError(caught);
          await this.onFailure(job, error);
          throw error;
        }
        this.metrics.jobsDeferred.inc({ reason: 'dependency_down' });
        if (outages++ === 0)
          this.logger.warn({ err: caught, jobId: job.id }, 'PostgreSQL or Redis is down; the job waits without spending an attempt');
      } finally {
        pass.done();
      }
      await this.waitOutOutage(outages);
    }
  }

  /** Lets jobs waiting out an outage go (as GateInterruptedError), so shutdown does not wait for the database. */
  interrupt(): void {
    this.stopping.abort();
  }

  /** Writes a job's dead letter before the job fails, waiting out a database outage rather than losing the letter. */
  async deadLetter(
    job: Job<EmbeddingJobData>,
    letter: Omit<DeadLetterRecord, 'qaPairId' | 'modelId' | 'contentHash' | 'purpose' | 'jobId'>,
  ): Promise<void> {
    for (let outages = 0; ;) {
      try {
        const model = await this.models.getByName(job.data.model);
        const { qaPairId, contentHash, purpose } = job.data;
        await this.deadLetters.record({ ...letter, qaPairId, modelId: model.id, contentHash, purpose, jobId: String(job.id) });
        return;
      } catch (caught) {
        if (isDomainError(caught, 'not_found')) {
          this.logger.warn({ jobId: job.id, model: job.data.model }, 'no dead letter: the model no longer exists');
          return;
        }
        if (!isDependencyDown(caught) || this.stopping.signal.aborted) {
          // The pair stays pending (no embedding, no dead letter): the reconciler will try it again.
          this.logger.error({ err: caught, jobId: job.id }, 'could not record dead letter');
          return;
        }
      }
      await this.waitOutOutage(++outages).catch(() => undefined);
    }
  }

  private async waitOutOutage(outages: number): Promise<void> {
    const delay = retryDelayMs(outages, { baseMs: 250, capMs: DEPENDENCY_RETRY_MS });
    await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    if (this.stopping.signal.aborted) throw new GateInterruptedError('dependencies', DEPENDENCY_RETRY_MS);
  }

  /**
   * One batch, traced as a span whose parent is its first job's span and which links to
   * every job it serves (jobs of other requests, other traces, share the batch).
   */
  private flush(model: string, jobs: Job<EmbeddingJobData>[]) {
    const start = () => {
      const served = jobs.map((job) => this.jobSpans.get(job));
      return {
        parent: contextWithParent(served.find(Boolean)),
        links: linksTo(served),
        attributes: { [ATTR.model]: model, [ATTR.jobs]: jobs.length },
      };
    };
    return inSpan('embed batch', start, () => this.flushBatch(model, jobs));
  }

  private async flushBatch(model: string, jobs: Job<EmbeddingJobData>[]) {
    const report = { calls: 0, inputsPerCall: [] as number[] };
    const stopTimer = this.metrics.batchSeconds.startTimer();
    try {
      const results = await this.processor.process(
        model,
        jobs.map((job) => job.data),
        report,
      );
      const embedded = results.filter((r) => r.ok && r.value.status === 'embedded').length;
      void this.throughput.record(embedded).catch(() => undefined);
      annotateActiveSpan({ [ATTR.pairsEmbedded]: embedded, [ATTR.providerCalls]: report.calls });
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
    // Bull 4's discard() only sets a flag; @types/bull declares it a promise.
    if (!error.retryable) void job.discard();
    this.metrics.jobOutcomes.inc({ outcome: 'dead_lettered' });
    await this.deadLetter(job, {
      errorKind: error.retryable ? 'exhausted' : 'permanent',
      error: error.message,
      attempts: attempt,
      firstFailedAt: job.data.firstFailedAt ? new Date(job.data.firstFailedAt) : undefined,
    });
  }
}
