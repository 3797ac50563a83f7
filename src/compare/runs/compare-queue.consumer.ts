import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bull';
import { APP_CONFIG, type AppConfig, hasRole } from '../../config/app-config';
import { queueSettings } from '../../common/jobs/queue-settings';
import { DriftCheck } from '../drift/drift-check';
import { NearDuplicateScan } from '../near-duplicates/near-duplicate-scan';
import { type RunBody, BackgroundRuns } from './background-runs';
import { COMPARE_QUEUE, type CompareJobData, CompareQueue } from './compare-queue';
import { RUN_KINDS, type RunKind } from './compare-runs';

/** What runs each kind: a kind without its handler does not compile. */
type RunBodies = { [K in RunKind]: RunBody<K> };

/**
 * The consumer side of the `compare` queue, started only in processes with the `worker`
 * role: one scan and one drift check at a time per process (a scan is CPU-bound, and
 * drift checks spend tokens). Stopping the process aborts a running scan at its next
 * pause; the run is stored as interrupted and can be retried.
 */
@Injectable()
export class CompareQueueConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CompareQueueConsumer.name);
  private readonly stop = new AbortController();
  private started = false;

  constructor(
    private readonly queue: CompareQueue,
    private readonly runs: BackgroundRuns,
    private readonly scan: NearDuplicateScan,
    private readonly drift: DriftCheck,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!hasRole(this.config, 'worker')) return;
    this.started = true;
    this.queue.bull.on('error', (error: Error) => this.logger.warn({ err: error }, 'compare queue error'));
    const bodies: RunBodies = {
      near_duplicate_scan: (run, report, signal) => this.scan.run(run, report, signal),
      drift_check: (run, report, signal) => this.drift.run(run, report, signal),
    };
    for (const kind of RUN_KINDS) this.handle(kind, bodies);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    this.stop.abort(new Error('the worker is shutting down'));
    await this.queue.bull.close();
  }

  private handle<K extends RunKind>(kind: K, bodies: RunBodies): void {
    const body: RunBody<K> = bodies[kind];
    void this.queue.bull
      .process(kind, queueSettings(this.config)[COMPARE_QUEUE].concurrency, (job: Job<CompareJobData>) =>
        // A run whose execution could not even start stays queued without a job: it then reads as interrupted.
        this.runs.execute(kind, job.data.runId, job.data.attempt, body, this.stop.signal).catch((error: unknown) => {
          this.logger.error({ err: error, runId: job.data.runId }, `${kind} could not run`);
          throw error;
        }),
      )
      .catch((error: unknown) => this.logger.error({ err: error }, `${kind} worker stopped`));
  }
}
