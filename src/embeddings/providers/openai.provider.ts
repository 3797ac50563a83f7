import OpenAI from 'openai';
import type { EmbeddingProvider, ModelSpec, ProviderResponse } from './embedding-provider';
import { escapeSpecialTokens } from '../tokenizer';
import { ProviderError } from './provider-error';

export interface OpenAIProviderOptions {
  apiKey: string;
  baseURL: string;
  timeoutMs: number;
}

/**
 * OpenAI embeddings through the official SDK. The SDK's own retries are off: retries,
 * backoff and the circuit breaker belong to our queue, or one failure would hide three
 * attempts and minutes of waiting.
 * Every text is sent with its special-token look-alikes escaped (`escapeSpecialTokens`), the
 * text `countTokens` counts: `<|endoftext|>` in a user's question must not reach the API as is.
 */
export class OpenAIProvider implements EmbeddingProvider {
  private readonly client: OpenAI;

  constructor(options: OpenAIProviderOptions) {
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      timeout: options.timeoutMs,
      maxRetries: 0,
    });
  }

  async embed(texts: string[], model: ModelSpec, signal?: AbortSignal): Promise<ProviderResponse> {
    const { data, response } = await this.client.embeddings
      .create(
        {
          model: model.apiModel,
          input: texts.map(escapeSpecialTokens),
          encoding_format: 'base64',
          ...(model.requestDimensions ? { dimensions: model.dimensions } : {}),
        },
        { signal },
      )
      .withResponse();
    const requestId = response.headers.get('x-request-id') ?? undefined;
    return {
      vectors: decodeVectors(data.data, texts.length, model.dimensions, requestId),
      reportedTokens: data.usage?.prompt_tokens,
      requestId,
      headers: response.headers,
    };
  }
}

export function decodeVectors(
  items: Array<{ index: number; embedding: unknown }> | undefined,
  expected: number,
  dimensions: number,
  requestId?: string,
): Float32Array[] {
  const malformed = (why: string) => new ProviderError('transient', `provider sent a malformed response: ${why}`, { requestId });
  if (!Array.isArray(items) || items.length !== expected) {
    throw malformed(`${Array.isArray(items) ? items.length : 'no'} vectors for ${expected} inputs`);
  }
  const vectors = new Array<Float32Array>(expected);
  for (const item of items) {
    if (!Number.isInteger(item.index) || item.index < 0 || item.index >= expected || vectors[item.index]) {
      throw malformed(`bad or repeated index ${String(item.index)}`);
    }
    const vector = toFloat32(item.embedding);
    if (!vector || vector.length !== dimensions) {
      throw malformed(`vector ${item.index} has ${vector?.length ?? 'no'} dimensions, expected ${dimensions}`);
    }
    vectors[item.index] = vector;
  }
  return vectors;
}

function toFloat32(embedding: unknown): Float32Array | undefined {
  if (typeof embedding === 'string') {
    const bytes = Buffer.from(embedding, 'base64');
    if (bytes.length % 4 !== 0) return undefined;
    // Copy into an aligned buffer: a Float32Array view needs a 4-byte aligned offset.
    const vector = new Float32Array(bytes.length / 4);
    new Uint8Array(vector.buffer).set(bytes);
    return vector;
  }
  if (Array.isArray(embedding) && embedding.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    return Float32Array.from(embedding as number[]);
  }
  return undefined;
}
