import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { EmbeddingProvider, ModelSpec } from './embedding-provider';
import { OfflineProvider } from './offline.provider';
import { OpenAIBatches } from './openai-batches';
import { OpenAIProvider } from './openai.provider';
import { ProviderError } from './provider-error';

/** Picks the provider that serves a model. */
@Injectable()
export class EmbeddingProviders {
  private readonly offline = new OfflineProvider();
  private readonly openai?: OpenAIProvider;
  private readonly openaiBatches?: OpenAIBatches;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { apiKey, baseURL, timeoutMs } = config.openai;
    if (apiKey) {
      this.openai = new OpenAIProvider({ apiKey, baseURL, timeoutMs });
      this.openaiBatches = new OpenAIBatches({ apiKey, baseURL, timeoutMs });
    }
  }

  /** The Batch API for a model; only OpenAI models have one. */
  batchesFor(model: ModelSpec): OpenAIBatches {
    if (model.provider !== 'openai' || !this.openaiBatches) {
      throw new ProviderError('permanent', `model ${model.name} has no batch lane: only OpenAI models (with OPENAI_API_KEY set) do`);
    }
    return this.openaiBatches;
  }

  for(model: ModelSpec): EmbeddingProvider {
    if (model.provider === 'offline') return this.offline;
    if (!this.openai) {
      throw new ProviderError('permanent', `model ${model.name} needs OPENAI_API_KEY, which is not set`);
    }
    return this.openai;
  }
}
