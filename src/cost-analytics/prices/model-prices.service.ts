import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { badRequest, conflict } from '../../common/errors';
import { pgErrorCode, UNIQUE_VIOLATION } from '../../common/pg-errors';
import { CostClock } from '../cost-clock';
import type { ModelPriceDto, ModelPriceHistoryDto } from '../dto/price.dto';
import { knownModel } from '../known-model';
import { priceAtSql } from './price-at-sql';

export interface AddModelPriceInput {
  model: string;
  pricePerMillionTokens: string;
  /** ISO 8601; default now. */
  effectiveFrom?: string;
  /** Default live. */
  lane?: 'live' | 'batch';
}

/**
 * Price history: a change takes effect at its instant (now or later, never in the past),
 * so the ledger, priced at write time, is never rewritten by it.
 */
@Injectable()
export class ModelPricesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: CostClock,
  ) {}

  async history(): Promise<ModelPriceHistoryDto[]> {
    const [models, prices] = await Promise.all([
      this.db.query(
        `SELECT m.id, m.name, m.price_per_million_tokens::text AS registered, ${priceAtSql('$1::timestamptz')}::text AS current,
                ${priceAtSql('$1::timestamptz', `'batch'`)}::text AS current_batch
         FROM embedding_models m ORDER BY m.id`,
        [this.clock.now().toISOString()],
      ) as Promise<Array<{ id: number; name: string; registered: string; current: string; current_batch: string }>>,
      this.db.query(
        `SELECT p.model_id, m.name AS model, p.lane, p.price_per_million_tokens::text AS price, p.effective_from, p.created_at
         FROM model_prices p JOIN embedding_models m ON m.id = p.model_id ORDER BY p.model_id, p.effective_from, p.lane`,
      ) as Promise<Array<{ model_id: number; model: string; lane: 'live' | 'batch'; price: string; effective_from: Date; created_at: Date }>>,
    ]);
    return models.map((model) => ({
      model: model.name,
      registeredPricePerMillionTokens: model.registered,
      currentPricePerMillionTokens: model.current,
      currentBatchPricePerMillionTokens: model.current_batch,
      prices: prices
        .filter((price) => price.model_id === model.id)
        .map((price) => ({
          model: price.model,
          lane: price.lane,
          pricePerMillionTokens: price.price,
          effectiveFrom: price.effective_from,
          createdAt: price.created_at,
        })),
    }));
  }

  async add(input: AddModelPriceInput): Promise<ModelPriceDto> {
    const now = this.clock.now();
    const effectiveFrom = input.effectiveFrom === undefined ? now : new Date(input.effectiveFrom);
    if (Number.isNaN(effectiveFrom.getTime())) throw badRequest('effectiveFrom', 'must be an ISO 8601 date-time');
    if (effectiveFrom.getTime() < now.getTime()) throw badRequest('effectiveFrom', 'must not be in the past: history is never rewritten');
    const model = await knownModel(this.db, input.model);
    try {
      const [row] = await this.db.query(
        `INSERT INTO model_prices (model_id, price_per_million_tokens, effective_from, lane) VALUES ($1, $2, $3, $4)
         RETURNING price_per_million_tokens::text AS price, effective_from, created_at`,
        [model.id, input.pricePerMillionTokens, effectiveFrom.toISOString(), input.lane ?? 'live'],
      );
      return {
        model: model.name,
        lane: input.lane ?? 'live',
        pricePerMillionTokens: row.price,
        effectiveFrom: row.effective_from,
        createdAt: row.created_at,
      };
    } catch (error) {
      if (pgErrorCode(error) === UNIQUE_VIOLATION) {
        throw conflict(`${model.name} already has a ${input.lane ?? 'live'} price effective from ${effectiveFrom.toISOString()}`);
      }
      throw error;
    }
  }
}
