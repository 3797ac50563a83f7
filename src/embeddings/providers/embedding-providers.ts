import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { EmbeddingProvider, ModelSpec } from './embedding-provider';
import { OfflineProvider } from './offline.provider';
import { OpenAIProvider } from './openai.provider';
import { ProviderError } from './provider-error';

/** Picks the provider that serves a model. */
@Injectable()
export class EmbeddingProviders {
  private readonly offline = new OfflineProvider();
  private readonly openai?: OpenAIProvider;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { apiKey, baseURL, timeoutMs } = config.openai;
    if (apiKey) this.openai = new OpenAIProvider({ apiKey, baseURL, timeoutMs });
  }

  for(model: ModelSpec): EmbeddingProvider {
    if (model.provider === 'offline') return this.offline;
    if (!this.openai) {
      throw new ProviderError('permanent', `model ${model.name} needs OPENAI_API_KEY, which is not set`);
    }
    return this.openai;
  }
}
