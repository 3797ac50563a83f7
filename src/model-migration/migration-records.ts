import type { GateMetric } from '../evaluation/evaluation-scores';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { type DataSource, type EntityManager, In, IsNull, Not, type Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { conflict, notFound } from '../common/errors';
import { pgErrorCode, UNIQUE_VIOLATION } from '../common/pg-errors';
import { IN_PROGRESS_STATES, type MigrationState } from './migration-state';
import type { MigrationEstimate } from './migration-types';
import { ModelMigrationEntity } from './model-migration.entity';

export interface NewMigration {
  fromModelId: number;
  toModelId: number;
  batchSize: number;
  autoCutover: boolean;
  maxFailureShare: number;
  gate: { metric: GateMetric; margin: number };
  lane: 'live' | 'batch';
  estimate: MigrationEstimate;
  /** Progress at the start (pairs may already be embedded under the target). */
  total: number;
  completed: number;
  failed: number;
}

type MigrationPatch = QueryDeepPartialEntity<ModelMigrationEntity>;

/** The model_migrations table: every read and write of migration records. */
@Injectable()
export class MigrationRecords {
  constructor(
    @InjectRepository(ModelMigrationEntity) private readonly migrations: Repository<ModelMigrationEntity>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /** Inserts a running migration; the unique index turns a second one for the same pair into a 409. */
  async insert(tx: EntityManager, input: NewMigration): Promise<ModelMigrationEntity> {
    try {
      const [row]: Array<{ id: string }> = await tx.query(
        `INSERT INTO model_migrations (from_model_id, to_model_id, state, batch_size, auto_cutover, max_failure_share, estimate,
                                       total, completed, failed, progress_at, gate_metric, gate_margin, lane)
         VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9, now(), $10, $11, $12) RETURNING id`,
        [
          input.fromModelId,
          input.toModelId,
          input.batchSize,
          input.autoCutover,
          input.maxFailureShare,
          JSON.stringify(input.estimate),
          input.total,
          input.completed,
          input.failed,
          input.gate.metric,
          input.gate.margin,
          input.lane,
        ],
      );
      return (await tx.findOneBy(ModelMigrationEntity, { id: row.id }))!;
    } catch (error) {
      if (pgErrorCode(error) === UNIQUE_VIOLATION) {
        const existing = await this.db.manager.findOneBy(ModelMigrationEntity, {
          fromModelId: input.fromModelId,
          toModelId: input.toModelId,
          state: In([...IN_PROGRESS_STATES]),
        });
        throw conflict('a migration between these models is already in progress', { migrationId: existing?.id });
      }
      throw error;
    }
  }

  async get(id: string, tx?: EntityManager): Promise<ModelMigrationEntity> {
    const migration = await (tx ?? this.db.manager).findOneBy(ModelMigrationEntity, { id });
    if (!migration) throw notFound('migration', id);
    return migration;
  }

  find(id: string): Promise<ModelMigrationEntity | null> {
    return this.migrations.findOneBy({ id });
  }

  /** Reads and row-locks a migration for a state change. */
  async lock(tx: EntityManager, id: string): Promise<ModelMigrationEntity> {
    const migration = await tx.findOne(ModelMigrationEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!migration) throw notFound('migration', id);
    return migration;
  }

  async list(limit: number, offset: number, state?: MigrationState): Promise<{ total: number; items: ModelMigrationEntity[] }> {
    const [items, total] = await this.migrations.findAndCount({
      where: state ? { state } : {},
      order: { createdAt: 'DESC', id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { total, items };
  }

  /** Migrations the scheduler has work for: filling a target, or deleting a losing model's vectors. */
  needingWork(): Promise<ModelMigrationEntity[]> {
    return this.migrations.find({
      where: [{ state: 'running' }, { cleanupRequestedAt: Not(IsNull()), cleanedAt: IsNull() }],
      order: { createdAt: 'ASC' },
    });
  }

  async update(id: string, patch: MigrationPatch, tx?: EntityManager): Promise<void> {
    await (tx ?? this.db.manager).update(ModelMigrationEntity, { id }, { ...patch, updatedAt: () => 'now()' });
  }

  /** Updates only while the migration is in one of `states`; returns whether it was. */
  async updateIf(id: string, states: readonly MigrationState[], patch: MigrationPatch, tx?: EntityManager): Promise<boolean> {
    const result = await (tx ?? this.db.manager).update(ModelMigrationEntity, { id, state: In([...states]) }, { ...patch, updatedAt: () => 'now()' });
    return result.affected === 1;
  }

  /** Target models whose backfill a migration feeds itself (running or paused). */
  /** The newest migration in progress (running, paused or ready) from `modelId`, if any. */
  async latestInProgressFrom(modelId: number): Promise<ModelMigrationEntity | null> {
    return this.migrations.findOne({ where: { fromModelId: modelId, state: In([...IN_PROGRESS_STATES]) }, order: { createdAt: 'DESC' } });
  }

  async modelsBeingFilled(): Promise<ReadonlySet<number>> {
    const rows = await this.migrations.find({ select: { toModelId: true }, where: { state: In(['running', 'paused']) } });
    return new Set(rows.map((row) => row.toModelId));
  }

  /**
   * Whether a model's embeddings must follow every edit because of migrations: it is the
   * target of one in progress, or the source of one cut over whose rollback is still possible.
   */
  async mustKeepCurrent(tx: EntityManager, modelId: number): Promise<boolean> {
    const [row]: Array<{ keep: boolean }> = await tx.query(
      `SELECT EXISTS (SELECT 1 FROM model_migrations WHERE to_model_id = $1 AND state = ANY($2::text[]))
           OR EXISTS (SELECT 1 FROM model_migrations WHERE from_model_id = $1 AND state = 'cut_over' AND cleanup_requested_at IS NULL)
           AS keep`,
      [modelId, IN_PROGRESS_STATES],
    );
    return row.keep;
  }

  /** Whether another migration still needs this model's vectors (in progress, or cut over and not cleaned up). */
  async modelInUse(tx: EntityManager, modelId: number, exceptId: string): Promise<boolean> {
    const [row]: Array<{ used: boolean }> = await tx.query(
      `SELECT EXISTS (
         SELECT 1 FROM model_migrations
         WHERE id <> $2 AND (from_model_id = $1 OR to_model_id = $1)
           AND (state = ANY($3::text[]) OR (state = 'cut_over' AND cleanup_requested_at IS NULL))) AS used`,
      [modelId, exceptId, IN_PROGRESS_STATES],
    );
    return row.used;
  }

  /** Whether a cleanup that deletes this model's vectors has been asked for and is not finished. */
  async cleanupPending(modelId: number): Promise<boolean> {
    const [row]: Array<{ pending: boolean }> = await this.db.query(
      `SELECT EXISTS (
         SELECT 1 FROM model_migrations
         WHERE cleanup_requested_at IS NOT NULL AND cleaned_at IS NULL
           AND CASE WHEN state = 'cut_over' THEN from_model_id ELSE to_model_id END = $1) AS pending`,
      [modelId],
    );
    return row.pending;
  }

  /** The rate the latest filled migration achieved: a measured figure for the next estimate. */
  async lastAchievedRate(): Promise<number | null> {
    const latest = await this.migrations.findOne({
      where: { filledAt: Not(IsNull()), pairsPerSecond: Not(IsNull()) },
      order: { filledAt: 'DESC' },
    });
    return latest?.pairsPerSecond ?? null;
  }
}
