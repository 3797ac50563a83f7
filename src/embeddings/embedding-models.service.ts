import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { badRequest, conflict, notFound } from '../common/errors';
import { priceAtSql } from '../cost-analytics/prices/price-at-sql';
import { EmbeddingModelEntity } from './embedding-model.entity';
import { hnswIndexName, hnswIndexSql, MAX_INDEXED_DIMENSIONS } from './vector-sql';

export interface RegisterModelInput {
  name: string;
  provider: EmbeddingModelEntity['provider'];
  apiModel: string;
  dimensions: number;
  requestDimensions: boolean;
  pricePerMillionTokens: string;
  maxInputTokens?: number;
}

/** The embedding models we know, which one serves search, and which are kept current. */
@Injectable()
export class EmbeddingModelsService {
  private readonly logger = new Logger(EmbeddingModelsService.name);

  constructor(
    @InjectRepository(EmbeddingModelEntity) private readonly models: Repository<EmbeddingModelEntity>,
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  list(): Promise<EmbeddingModelEntity[]> {
    return this.models.find({ order: { id: 'ASC' } });
  }

  async getByName(name: string): Promise<EmbeddingModelEntity> {
    const model = await this.models.findOneBy({ name });
    if (!model) throw notFound('embedding model', name);
    return model;
  }

  async getById(id: number): Promise<EmbeddingModelEntity> {
    const model = await this.models.findOneBy({ id });
    if (!model) throw notFound('embedding model', id);
    return model;
  }

  /** The model search answers from. Read on every call: a cutover is seen at once everywhere. */
  async getActive(): Promise<EmbeddingModelEntity> {
    const model = await this.models.findOneBy({ isActive: true });
    if (!model) throw conflict('no embedding model is active');
    return model;
  }

  /** Models whose embeddings must follow every content change: the active one and any being filled. */
  modelsToKeepCurrent(): Promise<EmbeddingModelEntity[]> {
    return this.models.find({ where: [{ isActive: true }, { keepCurrent: true }], order: { id: 'ASC' } });
  }

  /** Makes `name` the active model in one transaction (the previous one stops serving at once). */
  async activate(name: string, tx?: EntityManager): Promise<EmbeddingModelEntity> {
    const run = async (manager: EntityManager) => {
      const model = await manager.findOneBy(EmbeddingModelEntity, { name });
      if (!model) throw notFound('embedding model', name);
      await manager.query(`UPDATE embedding_models SET is_active = false WHERE is_active AND id <> $1`, [model.id]);
      await manager.query(`UPDATE embedding_models SET is_active = true WHERE id = $1`, [model.id]);
      return { ...model, isActive: true };
    };
    return tx ? run(tx) : this.db.transaction(run);
  }

  async setKeepCurrent(modelId: number, keepCurrent: boolean, tx?: EntityManager): Promise<void> {
    await (tx ?? this.db.manager).query(`UPDATE embedding_models SET keep_current = $2 WHERE id = $1`, [modelId, keepCurrent]);
  }

  /** Registers a model (e.g. a shortened text-embedding-3-large) and builds its HNSW index. */
  async register(input: RegisterModelInput): Promise<EmbeddingModelEntity> {
    if (input.dimensions > MAX_INDEXED_DIMENSIONS) {
      throw badRequest('dimensions', `must be at most ${MAX_INDEXED_DIMENSIONS} (pgvector's HNSW limit for halfvec)`);
    }
    if (await this.models.existsBy({ name: input.name })) throw conflict(`embedding model ${input.name} already exists`);
    const model = await this.models.save(
      this.models.create({ ...input, maxInputTokens: input.maxInputTokens ?? 8191, isActive: false, keepCurrent: false }),
    );
    await this.ensureIndex(model);
    return model;
  }

  /** Builds the model's partial HNSW index if it is missing, without blocking writes. */
  async ensureIndex(model: EmbeddingModelEntity): Promise<void> {
    await this.db.query(hnswIndexSql(model, true));
  }

  /**
   * Makes sure the model's index exists and is usable before it serves search: a
   * CREATE INDEX CONCURRENTLY that was interrupted leaves an invalid index, which
   * IF NOT EXISTS would keep forever.
   */
  async ensureValidIndex(model: EmbeddingModelEntity): Promise<void> {
    const rows: Array<{ valid: boolean }> = await this.db.query(
      `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`,
      [hnswIndexName(model)],
    );
    const index = rows[0];
    if (index?.valid) return;
    if (index) await this.db.query(`DROP INDEX CONCURRENTLY IF EXISTS ${hnswIndexName(model)}`);
    await this.ensureIndex(model);
  }

  /**
   * On first start nothing is active: activate EMBEDDING_MODEL, or text-embedding-3-small
   * with an OpenAI key, or the offline model without one.
   */
  async ensureActiveModel(): Promise<EmbeddingModelEntity> {
    const active = await this.models.findOneBy({ isActive: true });
    if (active) {
      if (active.provider === 'openai' && !this.config.openai.apiKey) {
        this.logger.warn(`active model ${active.name} needs OPENAI_API_KEY; embedding work fails until it is set`);
      }
      return active;
    }
    const name = this.config.openai.defaultModel ?? (this.config.openai.apiKey ? 'text-embedding-3-small' : 'offline-hashing-v1');
    const model = await this.db.transaction(async (tx) => {
      // Several processes may start at once: the first one wins, the others keep its choice.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('embedding_models.activate'))`);
      const existing = await tx.findOneBy(EmbeddingModelEntity, { isActive: true });
      return existing ?? this.activate(name, tx);
    });
    if (model.provider === 'offline') this.logger.warn(`search runs on ${model.name}: offline, not semantic`);
    return model;
  }

  /**
   * The price per 1M tokens in force at `at` for each model, by id, as exact decimal text:
   * the latest price change effective by then, else the registered price (the same rule
   * the usage ledger bills with).
   */
  async pricesInForce(at: Date = new Date(), lane: 'live' | 'batch' = 'live'): Promise<Map<number, string>> {
    const rows: Array<{ id: number; price: string }> = await this.db.query(
      `SELECT m.id, ${priceAtSql('$1::timestamptz', '$2::text')}::text AS price FROM embedding_models m`,
      [at.toISOString(), lane],
    );
    return new Map(rows.map((row) => [row.id, row.price]));
  }

  /** The price per 1M tokens of `model` on `lane` in force at `at` (see `pricesInForce`). */
  async priceInForce(model: EmbeddingModelEntity, at: Date = new Date(), lane: 'live' | 'batch' = 'live'): Promise<string> {
    return (await this.pricesInForce(at, lane)).get(model.id) ?? model.pricePerMillionTokens;
  }

  /** Every model's name, by id. */
  async namesById(): Promise<Map<number, string>> {
    return new Map((await this.list()).map((model) => [model.id, model.name]));
  }
}
