import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { badRequest, conflict } from '../common/errors';
import { EmbeddingCoverage } from '../embeddings/embedding-coverage';
import { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { MigrationRecords } from './migration-records';
import { CLEANABLE_STATES, IN_PROGRESS_STATES, losingSide, type MigrationState } from './migration-state';
import type { ModelMigrationEntity } from './model-migration.entity';

/**
 * The transactions that move search between models and decide which models are kept
 * current. Each takes the migration's row lock and the two models' row locks, so a
 * cutover, a rollback and a cancel of the same migration never interleave.
 */
@Injectable()
export class ModelSwitch {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly models: EmbeddingModelsService,
    private readonly records: MigrationRecords,
    private readonly coverage: EmbeddingCoverage,
  ) {}

  /**
   * Makes the target the active model in one transaction: search answers from it on its
   * next query. The source stays kept current, so a rollback finds it up to date.
   */
  async cutover(id: string, reason?: string): Promise<ModelMigrationEntity> {
    const { toModelId } = await this.records.get(id);
    // Outside the transaction: CREATE INDEX CONCURRENTLY cannot run inside one.
    await this.models.ensureValidIndex(await this.models.getById(toModelId));
    return this.db.transaction(async (tx) => {
      const migration = await this.records.lock(tx, id);
      if (migration.state !== 'running' && migration.state !== 'ready') {
        throw conflict(`migration is ${migration.state}; only a running or ready migration can be cut over`, { state: migration.state });
      }
      if (migration.gate?.verdict === 'held' && !reason) {
        throw badRequest('reason', `required to cut over a migration the quality gate held: ${migration.gate.message}`);
      }
      const [from, to] = await this.lockModels(tx, migration);
      if (!from.isActive) throw conflict(`${from.name} is no longer the active model`, { active: (await this.models.getActive()).name });
      // Checked under the locks, just before the switch: nothing search serves now may be missing after it.
      const behind = await this.coverage.behind(from.id, to.id);
      if (behind > 0) throw conflict(`${behind} pairs embedded under ${from.name} have no ${to.name} embedding yet`, { behind });
      await this.models.activate(to.name, tx);
      await this.records.update(id, { state: 'cut_over', cutOverAt: () => 'now()', cursor: null, cutoverReason: reason ?? null }, tx);
      await this.syncKeepCurrent(tx, [from.id, to.id]);
      return this.records.get(id, tx);
    });
  }

  /** Makes the source active again (its vectors were kept current since the cutover). */
  async rollback(id: string): Promise<ModelMigrationEntity> {
    return this.db.transaction(async (tx) => {
      const migration = await this.records.lock(tx, id);
      if (migration.state !== 'cut_over') {
        throw conflict(`migration is ${migration.state}; only a cut-over migration can be rolled back`, { state: migration.state });
      }
      if (migration.cleanupRequestedAt) throw conflict("the old model's vectors have been cleaned up; start a new migration instead");
      const [from, to] = await this.lockModels(tx, migration);
      if (!to.isActive) throw conflict(`${to.name} is no longer the active model`, { active: (await this.models.getActive()).name });
      await this.models.activate(from.name, tx);
      await this.records.update(id, { state: 'rolled_back', rolledBackAt: () => 'now()' }, tx);
      await this.syncKeepCurrent(tx, [from.id, to.id]);
      return this.records.get(id, tx);
    });
  }

  /** Ends a migration that never cut over (cancelled or failed): the target stops being kept current. */
  async end(id: string, state: Extract<MigrationState, 'cancelled' | 'failed'>, reason: string): Promise<ModelMigrationEntity> {
    return this.db.transaction(async (tx) => {
      const migration = await this.records.lock(tx, id);
      const from: readonly MigrationState[] = state === 'failed' ? ['running'] : IN_PROGRESS_STATES;
      if (!from.includes(migration.state)) {
        throw conflict(`migration is ${migration.state}; it cannot be ${state}`, { state: migration.state });
      }
      await this.lockModels(tx, migration);
      await this.records.update(id, { state, reason, endedAt: () => 'now()', cursor: null }, tx);
      await this.syncKeepCurrent(tx, [migration.toModelId]);
      return this.records.get(id, tx);
    });
  }

  /** Starts deleting the losing model's vectors (the driver deletes them in steps); no rollback after this. */
  async requestCleanup(id: string): Promise<ModelMigrationEntity> {
    return this.db.transaction(async (tx) => {
      const migration = await this.records.lock(tx, id);
      if (!CLEANABLE_STATES.includes(migration.state)) {
        throw conflict(`migration is ${migration.state}; clean up after a cutover, rollback, cancel or failure`, { state: migration.state });
      }
      if (migration.cleanupRequestedAt) throw conflict('cleanup was already requested', { cleanupRequestedAt: migration.cleanupRequestedAt });
      const [from, to] = await this.lockModels(tx, migration);
      const loser = losingSide(migration.state, from, to);
      if (loser.isActive) throw conflict(`${loser.name} is the active model; its vectors serve search`);
      if (await this.records.modelInUse(tx, loser.id, id)) {
        throw conflict(`another migration still needs the ${loser.name} vectors`);
      }
      await this.records.update(id, { cleanupRequestedAt: () => 'now()' }, tx);
      await this.syncKeepCurrent(tx, [loser.id]);
      return this.records.get(id, tx);
    });
  }

  /** keep_current follows the migrations: see MigrationRecords.mustKeepCurrent. */
  async syncKeepCurrent(tx: EntityManager, modelIds: number[]): Promise<void> {
    for (const modelId of modelIds) {
      await this.models.setKeepCurrent(modelId, await this.records.mustKeepCurrent(tx, modelId), tx);
    }
  }

  private async lockModels(tx: EntityManager, migration: ModelMigrationEntity): Promise<[EmbeddingModelEntity, EmbeddingModelEntity]> {
    const [first, second] = [migration.fromModelId, migration.toModelId].sort((a, b) => a - b);
    // Always in id order, so two switches over the same models cannot deadlock.
    const locked = [
      await tx.findOne(EmbeddingModelEntity, { where: { id: first }, lock: { mode: 'pessimistic_write' } }),
      await tx.findOne(EmbeddingModelEntity, { where: { id: second }, lock: { mode: 'pessimistic_write' } }),
    ];
    const from = locked.find((model) => model?.id === migration.fromModelId)!;
    const to = locked.find((model) => model?.id === migration.toModelId)!;
    return [from, to];
  }
}
