import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, hasRole } from '../config/app-config';
import { BudgetGate } from '../cost-analytics/budgets/budget-gate.service';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { EmbeddingStore } from '../embeddings/embedding-store';
import { ClusterLease } from '../redis/cluster-lease';
import { PRIORITY } from './embedding-job';
import { EmbeddingQueue } from './embedding-queue.service';
import { ATTR } from '../tracing/semconv';
import { inSpan, scheduledSpan } from '../tracing/spans';

/** Pending pairs found and (re-)enqueued; those already queued were a no-op for Bull. */
export interface ReconcileReport {
  pending: number;
  byModel: Record<string, number>;
  /** Models skipped because a hard-capped budget holds their deferrable work back until its period ends. */
  heldByBudget: string[];
}

/**
 * Self-healing: finds pairs whose current content lacks an embedding for a model that
 * must have one, and is not dead-lettered, and enqueues them. Work already queued has the
 * same job id, so re-adding it is a no-op; this is what makes losing Redis harmless.
 * Runs in scheduler processes, once per cluster per period (a Redis lease).
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(Reconciler.name);
  private timer?: NodeJS.Timeout;
  private firstPass?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private backfillOwner?: () => Promise<ReadonlySet<number>>;
  private pairHolder?: (modelId: number, ids: string[]) => Promise<ReadonlySet<string>>;

  constructor(
    private readonly models: EmbeddingModelsService,
    private readonly store: EmbeddingStore,
    private readonly queue: EmbeddingQueue,
    private readonly lease: ClusterLease,
    private readonly budgetGate: BudgetGate,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!hasRole(this.config, 'scheduler')) return;
    const interval = this.config.queue.reconcileIntervalMs;
    this.timer = setInterval(() => void this.tick(), interval);
    // A first pass soon after start heals whatever a restart (or a Redis wipe) lost.
    this.firstPass = setTimeout(() => void this.tick(), Math.min(2_000, interval));
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.firstPass);
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    try {
      if (!(await this.lease.claimPeriod('reconcile', this.config.queue.reconcileIntervalMs))) return;
      this.running = inSpan('reconcile', scheduledSpan('reconcile'), async (span) => {
        const report = await this.reconcileNow();
        span.setAttribute(ATTR.pairs, report.pending);
        return report;
      });
      const report = (await this.running) as ReconcileReport;
      if (report.pending > 0) this.logger.log(report, 'reconciler enqueued pending embeddings');
    } catch (error) {
      this.logger.warn({ err: error }, 'reconcile pass failed; the next one will retry');
    } finally {
      this.running = undefined;
    }
  }

  /**
   * Hands the backfill of some models to their owner (a running migration feeds its target
   * in a bounded window and must stay quiet while paused): the reconciler skips the ids
   * `owner` returns.
   */
  delegateBackfill(owner: () => Promise<ReadonlySet<number>>): void {
    this.backfillOwner = owner;
  }

  /** Hands some pending pairs to their holder (a bulk import on the batch lane): the reconciler skips the ids `holder` returns. */
  delegatePairs(holder: (modelId: number, ids: string[]) => Promise<ReadonlySet<string>>): void {
    this.pairHolder = holder;
  }

  /** One full pass over every model that must be kept current. */
  async reconcileNow(): Promise<ReconcileReport> {
    const report: ReconcileReport = { pending: 0, byModel: {}, heldByBudget: [] };
    const delegated = (await this.backfillOwner?.()) ?? new Set<number>();
    for (const model of await this.models.modelsToKeepCurrent()) {
      if (delegated.has(model.id)) continue;
      // Reconcile priority is deferrable: while a hard cap holds, every job added would only
      // be postponed again (and the work already postponed waits under its own id).
      const cap = await this.budgetGate
        .shouldPostpone(model.isActive ? 'ingest' : 'migration', model.id, { deferrable: true })
        .catch(() => ({ postpone: false }));
      if (cap.postpone) {
        report.heldByBudget.push(model.name);
        report.byModel[model.name] = 0;
        continue;
      }
      let after: string | null = null;
      let count = 0;
      for (;;) {
        const found = await this.store.pendingPage(model.id, after, this.config.queue.reconcilePageSize);
        if (found.length === 0) break;
        after = found[found.length - 1].id;
        const held =
          (await this.pairHolder?.(
            model.id,
            found.map((pair) => pair.id),
          )) ?? new Set<string>();
        const page = found.filter((pair) => !held.has(pair.id));
        if (page.length === 0) continue;
        const result = await this.queue.enqueueMany(
          page.map((pair) => ({
            qaPairId: pair.id,
            model: model.name,
            contentHash: pair.contentHash,
            purpose: model.isActive ? (pair.hasOlder ? 'update' : 'ingest') : 'migration',
            priority: model.isActive ? PRIORITY.reconcile : PRIORITY.migration,
          })),
        );
        count += result.jobIds.length;
        if (result.failed > 0) throw new Error('Redis did not take the jobs');
      }
      report.byModel[model.name] = count;
      report.pending += count;
    }
    return report;
  }
}
