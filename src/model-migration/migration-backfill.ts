import { Inject, Injectable, Logger } from '@nestjs/common';
import { BatchLane } from '../batch-lane/batch-lane.service';
import { isDomainError } from '../common/errors';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { type CoverageCounts, EmbeddingCoverage } from '../embeddings/embedding-coverage';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { EmbeddingStore } from '../embeddings/embedding-store';
import { MigrationJobs } from './migration-jobs';
import { MigrationPacing } from './migration-pacing';
import { MigrationRecords } from './migration-records';
import { losingSide } from './migration-state';
import type { ModelMigrationEntity } from './model-migration.entity';
import { ModelSwitch } from './model-switch';
import { NeighbourComparer } from './neighbour-comparison';
import { QualityGate } from './quality-gate';

const PROGRESS_INTERVAL_MS = 1_000;
/** Counting scans the target's embeddings: at most 1/20 of the time goes to it, however large the table. */
const COUNTING_SHARE = 20;
/** Below this many pairs dealt with, one unlucky batch would decide the failure share. */
const MIN_PROCESSED_FOR_FAILURE_SHARE = 100;
const RATE_SMOOTHING = 0.3;
const CLEANUP_STEP = 2_000;

/**
 * One step of a migration's background work, run by whichever scheduler holds its lease:
 * settle the queued window, record progress (and stop on too many failures), feed the
 * window from the persisted cursor, and when a pass is done either start another (to pick
 * up what a Redis wipe or a missed dual-write lost) or finish: compare, then cut over or
 * wait. Every step starts from what Postgres says, so any process can take the next one.
 */
@Injectable()
export class MigrationBackfill {
  private readonly logger = new Logger(MigrationBackfill.name);
  private lastCountMs = 0;

  constructor(
    private readonly records: MigrationRecords,
    private readonly coverage: EmbeddingCoverage,
    private readonly jobs: MigrationJobs,
    private readonly store: EmbeddingStore,
    private readonly models: EmbeddingModelsService,
    private readonly modelSwitch: ModelSwitch,
    private readonly comparer: NeighbourComparer,
    private readonly pacing: MigrationPacing,
    private readonly gate: QualityGate,
    private readonly batchLane: BatchLane,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async step(id: string): Promise<void> {
    const migration = await this.records.find(id);
    if (!migration) return;
    if (migration.cleanupRequestedAt && !migration.cleanedAt) await this.cleanupStep(migration);
    else if (migration.state === 'running') await this.fillStep(migration);
  }

  private async fillStep(migration: ModelMigrationEntity): Promise<void> {
    const [from, to] = await Promise.all([this.models.getById(migration.fromModelId), this.models.getById(migration.toModelId)]);
    if (!from.isActive) {
      await this.stop(migration, 'cancelled', `${from.name} stopped being the active model before this migration cut over`);
      return;
    }
    const waiting = await this.jobs.settle(migration.id, to);
    const counts = await this.refreshProgress(migration, to, false);
    if (counts && (await this.stopOnFailures(migration, counts, false))) return;

    if (migration.lane === 'batch') return this.fillByBatches(migration, from, to);

    // Paced: up to batchSize × MIGRATION_WINDOW_BATCHES, less while search is over its latency budget.
    const windowSize = await this.pacing.windowSize(migration);
    let cursor = migration.cursor;
    let fed = 0;
    let exhausted = false;
    while (waiting.length + fed < windowSize) {
      const page = await this.store.pendingPage(to.id, cursor, Math.min(migration.batchSize, windowSize - waiting.length - fed));
      if (page.length === 0) {
        exhausted = true;
        break;
      }
      // The cursor moves first and only while running: a pause or cancel in between stops the
      // feeding, and a crash before the enqueue only leaves pairs for the next pass.
      if (!(await this.records.updateIf(migration.id, ['running'], { cursor: page[page.length - 1].id }))) return;
      cursor = page[page.length - 1].id;
      const queued = await this.jobs.enqueue(migration.id, to, page);
      fed += page.length;
      if (!queued) return;
    }
    if (!exhausted || fed > 0) return;
    if (waiting.length > 0) {
      await this.jobs.dropLost(migration.id, waiting);
      return;
    }
    if ((await this.coverage.behind(from.id, to.id)) > 0) {
      await this.records.updateIf(migration.id, ['running'], { cursor: null, pass: migration.pass + 1 });
      return;
    }
    await this.finish(migration, from, to);
  }

  /**
   * The batch lane: keeps up to BATCH_LANE_MAX_IN_FLIGHT batches of pending pairs at the
   * provider (each up to BATCH_LANE_MAX_REQUESTS pairs); the poller imports them. The cursor
   * moves before a batch is submitted, so a pair is never in two batches of one pass; what a
   * batch does not embed (a transient line failure, an expiry, a cancel) is taken again by
   * the next pass, which starts only once no batch is open.
   */
  private async fillByBatches(migration: ModelMigrationEntity, from: EmbeddingModelEntity, to: EmbeddingModelEntity): Promise<void> {
    const passDone = await this.batchLane.feed(
      to,
      { migrationId: migration.id, purpose: 'migration' },
      migration.cursor,
      (after, limit) => this.store.pendingPage(to.id, after, limit),
      (cursor) => this.records.updateIf(migration.id, ['running'], { cursor }),
    );
    if (!passDone) return;
    if ((await this.coverage.behind(from.id, to.id)) > 0) {
      await this.records.updateIf(migration.id, ['running'], { cursor: null, pass: migration.pass + 1 });
      return;
    }
    await this.finish(migration, from, to);
  }

  /** Every pair is embedded under the target or failed: compare, judge, then cut over or wait for a request. */
  private async finish(migration: ModelMigrationEntity, from: EmbeddingModelEntity, to: EmbeddingModelEntity): Promise<void> {
    const counts = (await this.refreshProgress(migration, to, true))!;
    if (await this.stopOnFailures(migration, counts, true)) return;
    await this.records.updateIf(migration.id, ['running'], { filledAt: () => 'coalesce(filled_at, now())' });
    if (!migration.comparison) {
      const comparison = await this.comparer.compare(from, to, this.config.migration.comparisonSample).catch((error: unknown) => {
        this.logger.warn({ err: error, migrationId: migration.id }, 'old-vs-new comparison failed; cutover goes ahead without it');
        return null;
      });
      if (comparison) await this.records.update(migration.id, { comparison });
    }
    // No cutover without a verdict: an evaluation that cannot run now (provider down) throws, and a later step judges again.
    let gate = migration.gate;
    if (!gate) {
      try {
        gate = await this.gate.judge(migration, from, to);
      } catch (error) {
        if (isDomainError(error, 'unavailable')) return; // waiting out the delay after a failed evaluation
        throw error;
      }
      await this.records.update(migration.id, { gate });
      this.logger.log({ migrationId: migration.id, verdict: gate.verdict, why: gate.message }, 'quality gate judged');
    }
    if (!migration.autoCutover || gate.verdict === 'held') {
      if (await this.records.updateIf(migration.id, ['running'], { state: 'ready' })) await this.jobs.forget(migration.id);
      return;
    }
    try {
      await this.modelSwitch.cutover(migration.id);
      await this.jobs.forget(migration.id);
      this.logger.log({ migrationId: migration.id, from: from.name, to: to.name }, 'migration cut over');
    } catch (error) {
      // An edit landed between the check and the switch, or the migration was paused: the next step looks again.
      if (!isDomainError(error, 'conflict')) throw error;
      this.logger.log({ migrationId: migration.id, why: error.message }, 'cutover deferred');
    }
  }

  /** Progress from Postgres (at most once a second), with the smoothed rate and the running time. */
  private async refreshProgress(migration: ModelMigrationEntity, to: EmbeddingModelEntity, force: boolean): Promise<CoverageCounts | null> {
    const now = Date.now();
    const elapsedMs = migration.progressAt ? Math.max(0, now - migration.progressAt.getTime()) : 0;
    if (!force && elapsedMs < Math.max(PROGRESS_INTERVAL_MS, COUNTING_SHARE * this.lastCountMs)) return null;
    const counts = await this.coverage.counts(to.id);
    this.lastCountMs = Date.now() - now;
    const instant = elapsedMs > 0 ? Math.max(0, counts.completed - migration.completed) / (elapsedMs / 1000) : null;
    const previous = migration.pairsPerSecond;
    const rate = instant === null ? previous : previous === null ? instant : previous + RATE_SMOOTHING * (instant - previous);
    await this.records.updateIf(migration.id, ['running'], {
      ...counts,
      pairsPerSecond: rate,
      runningMs: migration.runningMs + elapsedMs,
      progressAt: new Date(now),
    });
    return counts;
  }

  private async stopOnFailures(migration: ModelMigrationEntity, counts: CoverageCounts, final: boolean): Promise<boolean> {
    const processed = counts.completed + counts.failed;
    if (counts.failed === 0) return false;
    if (!final && processed < Math.min(counts.total, MIN_PROCESSED_FOR_FAILURE_SHARE)) return false;
    const share = counts.failed / processed;
    const limit = Number(migration.maxFailureShare);
    if (share <= limit) return false;
    await this.stop(
      migration,
      'failed',
      `${counts.failed} of ${processed} pairs failed (${(share * 100).toFixed(1)} %), above the limit of ${(limit * 100).toFixed(1)} %; search stayed on the old model`,
    );
    return true;
  }

  /** The window keeps the jobs a worker already held: a cleanup waits for them. */
  private async stop(migration: ModelMigrationEntity, state: 'cancelled' | 'failed', reason: string): Promise<void> {
    await this.modelSwitch.end(migration.id, state, reason);
    await this.jobs.withdraw(migration.id);
    await this.batchLane.cancelFor(migration.id);
    this.logger.warn({ migrationId: migration.id, state, reason }, 'migration stopped');
  }

  private async cleanupStep(migration: ModelMigrationEntity): Promise<void> {
    const loser = await this.models.getById(losingSide(migration.state, migration.fromModelId, migration.toModelId));
    if (loser.isActive || loser.keepCurrent) {
      await this.records.update(migration.id, { cleanupRequestedAt: null, reason: `cleanup stopped: ${loser.name} is in use again` });
      return;
    }
    // Jobs still running for a stopped migration, and batches still to import, would write vectors behind the deletion: let them end first.
    if ((await this.batchLane.openCount(migration.id)) > 0) return;
    const running = await this.jobs.settle(migration.id, loser);
    if (running.length > 0 && (await this.jobs.dropLost(migration.id, running)).length > 0) return;
    if ((await this.store.deleteEmbeddings(loser.id, CLEANUP_STEP)) === 0) {
      await this.records.update(migration.id, { cleanedAt: () => 'now()' });
      await this.jobs.forget(migration.id);
    }
  }
}
