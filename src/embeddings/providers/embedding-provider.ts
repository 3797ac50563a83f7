import type { EmbeddingModelEntity } from '../embedding-model.entity';

export type ModelSpec = Pick<EmbeddingModelEntity, 'name' | 'provider' | 'apiModel' | 'dimensions' | 'requestDimensions'>;

export interface ProviderResponse {
  /** One vector per input, in input order. */
  vectors: Float32Array[];
  /** Tokens the provider says it counted for the whole request, when it says. */
  reportedTokens?: number;
  requestId?: string;
  /** Response headers (rate-limit headers feed the shared rate budget). */
  headers?: Headers;
}

/** Anything that turns texts into vectors: OpenAI (or a compatible endpoint) or the offline hasher. */
export interface EmbeddingProvider {
  embed(texts: string[], model: ModelSpec, signal?: AbortSignal): Promise<ProviderResponse>;
}
