import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ProviderGuards } from '../circuit-breaker/provider-guards';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UsageLedgerService } from '../cost-analytics/usage-ledger.service';
import type { UsagePurpose } from '../cost-analytics/usage-purpose';
import { API_LIMITS, packBatches } from './batch-packing';
import type { EmbeddingModelEntity } from './embedding-model.entity';
import { EmbeddingProviders } from './providers/embedding-providers';
import { classifyProviderError, ProviderError } from './providers/provider-error';

export interface EmbedItem {
  text: string;
  /** cl100k_base tokens, counted before sending. */
  tokens: number;
  qaPairId?: string;
  category?: string;
  purpose: UsagePurpose;
}

export interface EmbedCallReport {
  calls: number;
  inputsPerCall: number[];
}

/**
 * The one way to spend tokens: packs inputs under the API limits, calls the model's
 * provider through its guard (shared rate budget, circuit breaker), and writes every call
 * to the usage ledger. A call the guard does not admit throws ProviderUnavailableError.
 */
@Injectable()
export class EmbeddingClient {
  constructor(
    private readonly providers: EmbeddingProviders,
    private readonly ledger: UsageLedgerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly guards: ProviderGuards,
  ) {}

  async embed(
    model: EmbeddingModelEntity,
    items: EmbedItem[],
    report?: EmbedCallReport,
  ): Promise<Float32Array[]> {
    const tooLong = items.find((item) => item.tokens > model.maxInputTokens);
    if (tooLong) {
      throw new ProviderError('permanent', `input has ${tooLong.tokens} tokens; ${model.name} takes at most ${model.maxInputTokens}`);
    }
    const provider = this.providers.for(model);
    const guard = this.guards.get(model.provider);
    const limits = {
      maxInputs: API_LIMITS.maxInputsPerRequest,
      maxTokens: Math.min(API_LIMITS.maxTokensPerRequest, this.config.queue.batchMaxTokens, guard?.maxRequestTokens ?? Infinity),
    };
    const vectors: Float32Array[] = [];
    for (const group of packBatches(items, limits)) {
      let durationMs = 0;
      // Only the provider's own failures are classified; Redis trouble in the guard stays what it is.
      const send = async () => {
        const startedAt = performance.now();
        try {
          return await provider.embed(group.map((item) => item.text), model);
        } catch (error) {
          throw classifyProviderError(error);
        } finally {
          durationMs = performance.now() - startedAt;
        }
      };
      const tokens = group.reduce((sum, item) => sum + item.tokens, 0);
      const response = guard ? await guard.call(tokens, send) : await send();
      await this.ledger.recordCall({
        callId: randomUUID(),
        modelId: model.id,
        requestId: response.requestId,
        durationMs,
        reportedTokens: response.reportedTokens,
        items: group.map(({ qaPairId, category, purpose, tokens }) => ({ qaPairId, category, purpose, tokens })),
      });
      if (report) {
        report.calls += 1;
        report.inputsPerCall.push(group.length);
      }
      vectors.push(...response.vectors);
    }
    return vectors;
  }
}
