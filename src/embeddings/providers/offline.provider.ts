import type { EmbeddingProvider, ModelSpec, ProviderResponse } from './embedding-provider';
import { featureHashingVector } from './feature-hashing';

/**
 * The provider used when no OpenAI key is configured: deterministic feature-hashing
 * vectors. Offline and free, but not semantic; it only ever serves models whose provider
 * is 'offline', so its vectors are never stored under an OpenAI model's name.
 */
export class OfflineProvider implements EmbeddingProvider {
  async embed(texts: string[], model: ModelSpec): Promise<ProviderResponse> {
    return { vectors: texts.map((text) => featureHashingVector(text, model.dimensions)) };
  }
}
