import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bull';
import { GateInterruptedError } from '../circuit-breaker/provider-gate';
import { ProviderGates } from '../circuit-breaker/provider-gates';
import { APP_CONFIG, type AppConfig, hasRole } from '../config/app-config';
import { BudgetGate } from '../cost-analytics/budgets/budget-gate.service';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { EMBED_JOB, EMBEDDINGS_QUEUE, type EmbeddingJobData, PRIORITY, postponedJobId } from './embedding-job';
import { EmbeddingJobRunner } from './embedding-job-runner';
import { EmbeddingQueue } from './embedding-queue.service';
import { queueSettings } from '../common/jobs/queue-settings';
import { QueueMetrics } from './queue.metrics';

/**
 * The consumer side, started only in processes with the `worker` role. The handler is
 * registered with `queue.process(name, concurrency, …)` rather than @nestjs/bull's
 * `@Process()`, whose concurrency is a decorator literal and cannot come from validated
 * config; what @Processor would add (explorer, events) we do not need.
 */
@Injectable()
export class EmbeddingQueueConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EmbeddingQueueConsumer.name);
  private started = false;

  constructor(
    private readonly queue: EmbeddingQueue,
    private readonly runner: EmbeddingJobRunner,
    private readonly models: EmbeddingModelsService,
    private readonly gates: ProviderGates,
    private readonly metrics: QueueMetrics,
    private readonly budgetGate: BudgetGate,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private readonly modelIds = new Map<string, number>();

  onApplicationBootstrap(): void {
    if (!hasRole(this.config, 'worker')) return;
    this.started = true;
    this.queue.bull.on('error', (error: Error) => this.logger.warn({ err: error }, 'queue error'));
    const { concurrency } = queueSettings(this.config)[EMBEDDINGS_QUEUE];
    void this.queue.bull
      .process(EMBED_JOB, concurrency, (job: Job<EmbeddingJobData>) => this.handle(job))
      .catch((error: unknown) => this.logger.error({ err: error }, 'embedding worker stopped'));
    this.logger.log(`embedding worker started (concurrency ${concurrency}, batches of ≤ ${this.config.queue.batchMaxInputs})`);
  }

  /**
   * Stops taking jobs and lets the ones in flight finish (up to SHUTDOWN_GRACE_MS) before
   * producers close. Jobs waiting for an unavailable provider would not finish: they are
   * handed back to the queue instead (after close() has stopped fetching, or this worker
   * would take new jobs to hand back).
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.config.shutdownGraceMs).unref());
    const closed = this.queue.bull.close().then(() => 'closed' as const);
    this.gates.interrupt();
    this.runner.interrupt();
    if ((await Promise.race([closed, grace])) === 'timeout') {
      this.logger.warn('in-flight embedding jobs did not finish in time; they will be picked up again as stalled jobs');
    }
  }

  private async handle(job: Job<EmbeddingJobData>): Promise<unknown> {
    const stalls = await this.failIfStalledTooOften(job);
    const capped = await this.budgetCap(job);
    if (capped) return this.postpone(job, capped, stalls);
    try {
      return await this.runner.run(job);
    } catch (error) {
      if (error instanceof GateInterruptedError) return this.postpone(job, error.retryInMs, stalls);
      throw error;
    }
  }

  /**
   * The hard cap: work that can wait (migrations, drift, bulk imports — anything at bulk
   * priority or below) waits for the next budget period while a capped budget is exceeded;
   * live edits never do. Returns how long to postpone, or 0. Category-scoped caps do not
   * apply here (jobs carry no category).
   */
  private async budgetCap(job: Job<EmbeddingJobData>): Promise<number> {
    let modelId = this.modelIds.get(job.data.model);
    if (modelId === undefined) {
      // A failed lookup (model gone, database down) holds nothing back: the run itself then
      // dead-letters the missing model, or waits for the database.
      const model = await this.models.getByName(job.data.model).catch(() => undefined);
      if (!model) return 0;
      this.modelIds.set(job.data.model, (modelId = model.id));
    }
    const deferrable = job.data.priority <= PRIORITY.bulk || undefined;
    const decision = await this.budgetGate
      .shouldPostpone(job.data.purpose, modelId, { deferrable })
      .catch(() => ({ postpone: false, until: undefined }));
    if (!decision.postpone || !decision.until) return 0;
    this.metrics.jobsDeferred.inc({ reason: 'budget_cap' });
    return Math.max(1_000, decision.until.getTime() - Date.now());
  }

  /**
   * Bull v4 cannot delay an active job without spending an attempt, so the work is re-added,
   * delayed, under the alternate id, with the attempts it has left (stalls spent some), and this job completes.
   * Left to stall instead, it would come back counted as stalled, and a second stall
   * dead-letters it.
   */
  private async postpone(job: Job<EmbeddingJobData>, delayMs: number, stalls: number): Promise<{ status: 'postponed'; as: string }> {
    const jobId = postponedJobId(String(job.id));
    const { priority, attempts = 1, backoff, removeOnComplete, removeOnFail } = job.opts;
    await this.queue.bull.add(EMBED_JOB, job.data, {
      jobId,
      delay: Math.ceil(delayMs),
      priority,
      attempts: Math.max(1, attempts - job.attemptsMade - stalls),
      backoff,
      removeOnComplete,
      removeOnFail,
    });
    this.metrics.jobOutcomes.inc({ outcome: 'postponed' });
    return { status: 'postponed', as: jobId };
  }

  /**
   * A job whose worker died under it (SIGKILL, OOM, a crash) comes back through Bull's stall
   * check. Bull's own limit (`maxStalledCount`) would fail it with `removeOnFail` deleting the
   * job first, so its `failed` event carries no job and nothing could be dead-lettered; so the
   * queue lets Bull requeue stalled jobs and this decides, with the job in hand: a stall is a
   * spent attempt, and a job picked up with no attempt left (failures plus stalls reach
   * `attempts`) gets a `stalled` dead letter (written first) and fails without a retry.
   * Returns the job's stalls otherwise.
   */
  private async failIfStalledTooOften(job: Job<EmbeddingJobData>): Promise<number> {
    const stalls = Number((await this.queue.bull.client.hget(this.queue.bull.toKey(String(job.id)), 'stalledCounter')) ?? 0);
    const spent = job.attemptsMade + stalls;
    if (stalls === 0 || spent < (job.opts.attempts ?? 1)) return stalls;
    const error = `the worker processing this job was lost ${stalls} time${stalls === 1 ? '' : 's'} (stalled), ${spent} of ${job.opts.attempts ?? 1} attempts spent`;
    await this.runner.deadLetter(job, { errorKind: 'stalled', error, attempts: spent });
    this.metrics.jobOutcomes.inc({ outcome: 'dead_lettered' });
    void job.discard(); // a flag, synchronous (typed as a promise)
    throw new Error(error);
  }
}
