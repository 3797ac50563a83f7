import { Inject, Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { embeddingText } from '../common/qa-content';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { API_LIMITS } from '../embeddings/batch-packing';
import { EmbeddingCoverage } from '../embeddings/embedding-coverage';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { countTokens } from '../embeddings/tokenizer';
import { ThroughputCounter } from '../queue/throughput-counter';
import { RetrievalEvaluator } from '../evaluation/retrieval-evaluator';
import { MigrationRecords } from './migration-records';
import type { MigrationEstimate } from './migration-types';

const TEXT_PAGE = 1_000;
/** The Batch API's completion window. */
const BATCH_WINDOW_SECONDS = 24 * 3600;

/**
 * What a migration will cost and take, before it starts: pairs to migrate, their tokens
 * (the source's stored local counts where it has them, counted here otherwise), cost at
 * the target's price in force now (price history included), and an ETA from the configured rate limits and measured throughput.
 */
@Injectable()
export class MigrationEstimator {
  constructor(
    private readonly coverage: EmbeddingCoverage,
    private readonly records: MigrationRecords,
    private readonly throughput: ThroughputCounter,
    private readonly models: EmbeddingModelsService,
    private readonly evaluator: RetrievalEvaluator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async estimate(from: EmbeddingModelEntity, to: EmbeddingModelEntity): Promise<MigrationEstimate> {
    const stored = await this.coverage.storedTokenCounts(from.id, to.id);
    const tokens = stored.storedTokens + (await this.countUncounted(from.id, to.id));
    const pairs = stored.pairs;
    const requests = Math.max(
      Math.ceil(pairs / Math.min(this.config.queue.batchMaxInputs, API_LIMITS.maxInputsPerRequest)),
      Math.ceil(tokens / Math.min(this.config.queue.batchMaxTokens, API_LIMITS.maxTokensPerRequest)),
    );
    const rateLimit = this.rateLimitBound(requests, tokens);
    const throughput = await this.throughputBound(pairs);
    const bounds = [rateLimit.seconds, throughput.seconds].filter((s): s is number => s !== null);
    const price = await this.models.priceInForce(to);
    const qualityGate = await this.qualityGateCost(from, to);
    const batchPrice = await this.models.priceInForce(to, new Date(), 'batch');
    const live = {
      costUsd: new Decimal(tokens).mul(price).div(1_000_000).toFixed(),
      etaSeconds: bounds.length > 0 ? Math.ceil(Math.max(...bounds)) : null,
    };
    return {
      pairs,
      tokens,
      pairsWithStoredTokenCounts: stored.withStoredCount,
      costUsd: new Decimal(tokens).mul(price).div(1_000_000).toFixed(),
      pricePerMillionTokens: new Decimal(price).toFixed(),
      requests,
      rateLimit,
      throughput,
      etaSeconds: bounds.length > 0 ? Math.ceil(Math.max(...bounds)) : null,
      qualityGate,
      lanes: {
        live,
        batch: {
          costUsd: new Decimal(tokens).mul(batchPrice).div(1_000_000).toFixed(),
          pricePerMillionTokens: new Decimal(batchPrice).toFixed(),
          batches: Math.ceil(pairs / this.config.batchLane.maxRequests),
          // Batches in flight at once take one window each at worst; OpenAI usually finishes much sooner.
          etaSeconds:
            pairs === 0
              ? 0
              : Math.ceil(Math.ceil(pairs / this.config.batchLane.maxRequests) / this.config.batchLane.maxInFlight) * BATCH_WINDOW_SECONDS,
        },
      },
    };
  }

  /** The gate's evaluations: labelled queries under both models, captured ones under both for the target's agreement. */
  private async qualityGateCost(from: EmbeddingModelEntity, to: EmbeddingModelEntity): Promise<MigrationEstimate['qualityGate']> {
    const inputs = await this.evaluator.inputs(true);
    const labelledTokens = this.evaluator.tokens({ ...inputs, captured: [] }, false);
    const capturedTokens = this.evaluator.tokens({ labelled: [], captured: inputs.captured }, true) / 2;
    const [fromPrice, toPrice] = await Promise.all([this.models.priceInForce(from), this.models.priceInForce(to)]);
    const cost = new Decimal(labelledTokens + capturedTokens)
      .mul(fromPrice)
      .add(new Decimal(labelledTokens + capturedTokens).mul(toPrice))
      .div(1_000_000);
    return {
      labelledQueries: inputs.labelled.length,
      capturedQueries: inputs.captured.length,
      tokens: 2 * (labelledTokens + capturedTokens),
      costUsd: cost.toFixed(),
      warning:
        inputs.labelled.length === 0
          ? 'no labelled queries: the quality gate cannot judge the new model and an automatic cutover goes ahead unjudged; add some under /evaluation/queries'
          : null,
    };
  }

  private async countUncounted(fromId: number, toId: number): Promise<number> {
    let tokens = 0;
    let after: string | null = null;
    for (;;) {
      const page = await this.coverage.uncountedTexts(fromId, toId, after, TEXT_PAGE);
      if (page.length === 0) return tokens;
      for (const pair of page) tokens += countTokens(embeddingText(pair.question, pair.answer));
      after = page[page.length - 1].id;
      // Counting is CPU work on the API's event loop: let requests in between pages.
      await yieldToEventLoop();
    }
  }

  private rateLimitBound(requests: number, tokens: number): MigrationEstimate['rateLimit'] {
    const requestsPerMinute = this.config.rateLimit.rpm ?? null;
    const tokensPerMinute = this.config.rateLimit.tpm ?? null;
    const minutes = [requestsPerMinute ? requests / requestsPerMinute : null, tokensPerMinute ? tokens / tokensPerMinute : null].filter(
      (m): m is number => m !== null,
    );
    return { requestsPerMinute, tokensPerMinute, seconds: minutes.length > 0 ? Math.ceil(Math.max(...minutes) * 60) : null };
  }

  /** The last migration's achieved rate, else what the workers embedded over the last five minutes. */
  private async throughputBound(pairs: number): Promise<MigrationEstimate['throughput']> {
    const lastMigration = await this.records.lastAchievedRate();
    if (lastMigration && lastMigration > 0) {
      return { pairsPerSecond: round(lastMigration), source: 'last-migration', seconds: Math.ceil(pairs / lastMigration) };
    }
    const recent = await this.throughput
      .read()
      .then((r) => r.perSecondFiveMinutes)
      .catch(() => 0);
    if (recent > 0) return { pairsPerSecond: recent, source: 'recent-throughput', seconds: Math.ceil(pairs / recent) };
    return { pairsPerSecond: null, source: null, seconds: null };
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
