import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { badRequest, conflict } from '../common/errors';
import { BatchLane } from '../batch-lane/batch-lane.service';
import { EmbeddingProviders } from '../embeddings/providers/embedding-providers';
import type { GateMetric } from '../evaluation/evaluation-scores';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EmbeddingCoverage, type PairToMigrate } from '../embeddings/embedding-coverage';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { DeadLettersService } from '../queue/dead-letters/dead-letters.service';
import { DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE } from './dto/migration-request.dto';
import { MigrationEstimator } from './migration-estimator';
import { MigrationJobs } from './migration-jobs';
import { etaSecondsOf, progressOf } from './migration-progress';
import { MigrationRecords } from './migration-records';
import { isSettled, type MigrationState } from './migration-state';
import type { MigrationEstimate, MigrationProgress, NeighbourComparison } from './migration-types';
import type { ModelMigrationEntity } from './model-migration.entity';
import { ModelSwitch } from './model-switch';
import { NeighbourComparer } from './neighbour-comparison';

export interface StartMigrationOptions {
  /** Pairs enqueued per step (default 100). */
  batchSize?: number;
  /** Switch search as soon as every pair is embedded (default true). */
  autoCutover?: boolean;
  /** Share of failed pairs above which the migration stops and reverts (default MIGRATION_MAX_FAILURE_SHARE). */
  maxFailureShare?: number;
  /** The quality gate's metric and margin (default MIGRATION_GATE_METRIC, MIGRATION_GATE_MARGIN). */
  gate?: { metric?: GateMetric; margin?: number };
  /** live (default): the queue and the live API; batch: OpenAI's Batch API, at half the price, within 24 h. */
  lane?: 'live' | 'batch';
}

/** What `migrateEmbeddings` yields: the progress, and which migration and state it belongs to. */
export interface MigrationProgressUpdate extends MigrationProgress {
  migrationId: string;
  state: MigrationState;
  etaSeconds: number | null;
}

const ITERATOR_POLL_MS = 200;

/** Model migrations: estimate, start, watch, pause, resume, cancel, cutover, rollback, cleanup, compare. */
@Injectable()
export class MigrationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly models: EmbeddingModelsService,
    private readonly records: MigrationRecords,
    private readonly coverage: EmbeddingCoverage,
    private readonly estimator: MigrationEstimator,
    private readonly modelSwitch: ModelSwitch,
    private readonly jobs: MigrationJobs,
    private readonly comparer: NeighbourComparer,
    private readonly deadLetters: DeadLettersService,
    private readonly batchLane: BatchLane,
    private readonly providers: EmbeddingProviders,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async estimate(fromModel: string, toModel: string): Promise<MigrationEstimate> {
    const [from, to] = await this.modelPair(fromModel, toModel);
    return this.estimator.estimate(from, to);
  }

  /** The pairs a migration would (still) embed: no current embedding under the target. */
  async pairsToMigrate(fromModel: string, toModel: string, after: string | null, limit: number): Promise<PairToMigrate[]> {
    const [from, to] = await this.modelPair(fromModel, toModel);
    return this.coverage.pairsToMigrate(from.id, to.id, after, limit);
  }

  /**
   * Starts filling `toModel` while search keeps answering from `fromModel` (the active model):
   * from now on every create and edit is embedded for both, and the scheduler feeds the rest
   * through the queue at migration priority.
   */
  async start(fromModel: string, toModel: string, options: StartMigrationOptions = {}): Promise<ModelMigrationEntity> {
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw badRequest('batchSize', `must be a whole number from 1 to ${MAX_BATCH_SIZE}`);
    }
    const maxFailureShare = options.maxFailureShare ?? this.config.migration.maxFailureShare;
    if (!(maxFailureShare >= 0 && maxFailureShare <= 1)) throw badRequest('maxFailureShare', 'must be a number from 0 to 1');
    const [from, to] = await this.modelPair(fromModel, toModel);
    const lane = options.lane ?? 'live';
    if (lane === 'batch') {
      try {
        this.providers.batchesFor(to);
      } catch (error) {
        throw badRequest('lane', error instanceof Error ? error.message : String(error));
      }
    }
    if (!from.isActive) {
      throw conflict(`${from.name} is not the active model; a migration starts from the model search answers from`, {
        active: (await this.models.getActive()).name,
      });
    }
    if (await this.records.cleanupPending(to.id)) throw conflict(`the ${to.name} vectors are being cleaned up; start once that is done`);
    // The target's index exists before its first vector, so the cutover never waits for a build.
    await this.models.ensureIndex(to);
    const [estimate, counts] = await Promise.all([this.estimator.estimate(from, to), this.coverage.counts(to.id)]);
    const migration = await this.db.transaction(async (tx) => {
      const created = await this.records.insert(tx, {
        fromModelId: from.id,
        toModelId: to.id,
        batchSize,
        autoCutover: options.autoCutover ?? true,
        maxFailureShare,
        gate: {
          metric: options.gate?.metric ?? this.config.migration.gate.metric,
          margin: options.gate?.margin ?? this.config.migration.gate.margin,
        },
        lane,
        estimate,
        ...counts,
      });
      await this.modelSwitch.syncKeepCurrent(tx, [to.id]);
      return created;
    });
    // Dead letters under the target are from an earlier attempt: this one tries those pairs afresh.
    await this.deadLetters.replayMatching({ model: to.name });
    return migration;
  }

  /**
   * Starts a migration and follows it: yields its progress whenever it changes, until it
   * cuts over, waits for a cutover, fails or is cancelled. Leaving the loop early does not
   * stop the migration, which runs in the background.
   */
  async *migrateEmbeddings(
    fromModel: string,
    toModel: string,
    batchSize = DEFAULT_BATCH_SIZE,
    options: Omit<StartMigrationOptions, 'batchSize'> = {},
  ): AsyncGenerator<MigrationProgressUpdate> {
    const migration = await this.start(fromModel, toModel, { ...options, batchSize });
    for await (const record of this.watch(migration.id, ITERATOR_POLL_MS)) {
      yield { migrationId: record.id, state: record.state, etaSeconds: etaSecondsOf(record), ...progressOf(record) };
    }
  }

  /** The record now, then again whenever its progress or state changes; ends after a settled state or once `signal` aborts. */
  async *watch(id: string, pollMs: number, signal?: AbortSignal): AsyncGenerator<ModelMigrationEntity> {
    let last = '';
    while (!signal?.aborted) {
      const record = await this.records.get(id);
      const fingerprint = `${record.state}:${record.total}:${record.completed}:${record.failed}:${record.pairsPerSecond}`;
      if (fingerprint !== last) {
        last = fingerprint;
        yield record;
      }
      if (isSettled(record.state)) return;
      await sleep(pollMs, undefined, { signal }).catch(() => undefined);
    }
  }

  get(id: string): Promise<ModelMigrationEntity> {
    return this.records.get(id);
  }

  list(limit: number, offset: number, state?: MigrationState): Promise<{ total: number; items: ModelMigrationEntity[] }> {
    return this.records.list(limit, offset, state);
  }

  /** Stops feeding and withdraws queued jobs no worker has taken; creates and edits are still dual-written. */
  async pause(id: string): Promise<ModelMigrationEntity> {
    const paused = await this.records.updateIf(id, ['running'], {
      state: 'paused',
      runningMs: () => `running_ms + greatest(0, extract(epoch FROM now() - coalesce(progress_at, now())) * 1000)::bigint`,
      progressAt: () => 'now()',
    });
    if (!paused) throw await this.refusal(id, 'paused', ['running']);
    await this.jobs.withdraw(id);
    // Batches in flight are cancelled too; what they finished is imported, the rest waits for the resume.
    await this.batchLane.cancelFor(id);
    return this.records.get(id);
  }

  async resume(id: string): Promise<ModelMigrationEntity> {
    // The time paused does not count toward the rate: the clock restarts here.
    if (!(await this.records.updateIf(id, ['paused'], { state: 'running', progressAt: () => 'now()' }))) {
      throw await this.refusal(id, 'resumed', ['paused']);
    }
    return this.records.get(id);
  }

  /**
   * Stops for good before a cutover; search never left the source. The target's vectors stay
   * until a cleanup, which first waits for the jobs workers already held.
   */
  async cancel(id: string): Promise<ModelMigrationEntity> {
    const cancelled = await this.modelSwitch.end(id, 'cancelled', 'cancelled by request');
    await this.jobs.withdraw(id);
    await this.batchLane.cancelFor(id);
    return cancelled;
  }

  /** An admin's cutover; `reason` is required when the quality gate held the migration, and recorded. */
  async cutover(id: string, reason?: string): Promise<ModelMigrationEntity> {
    const cutOver = await this.modelSwitch.cutover(id, reason);
    await this.jobs.forget(id);
    return cutOver;
  }

  rollback(id: string): Promise<ModelMigrationEntity> {
    return this.modelSwitch.rollback(id);
  }

  cleanup(id: string): Promise<ModelMigrationEntity> {
    return this.modelSwitch.requestCleanup(id);
  }

  /** Computes the old-vs-new neighbour comparison on a fresh sample and keeps it on the record. */
  async compare(id: string, sampleSize = this.config.migration.comparisonSample): Promise<NeighbourComparison> {
    const migration = await this.records.get(id);
    const [from, to] = await Promise.all([this.models.getById(migration.fromModelId), this.models.getById(migration.toModelId)]);
    const comparison = await this.comparer.compare(from, to, sampleSize);
    await this.records.update(id, { comparison });
    return comparison;
  }

  private async modelPair(fromModel: string, toModel: string): Promise<[EmbeddingModelEntity, EmbeddingModelEntity]> {
    const [from, to] = await Promise.all([this.models.getByName(fromModel), this.models.getByName(toModel)]);
    if (from.id === to.id) throw conflict('fromModel and toModel are the same model', { model: from.name });
    return [from, to];
  }

  private async refusal(id: string, action: string, allowed: MigrationState[]) {
    const migration = await this.records.get(id);
    return conflict(`migration is ${migration.state}; only a ${allowed.join(' or ')} migration can be ${action}`, { state: migration.state });
  }
}
