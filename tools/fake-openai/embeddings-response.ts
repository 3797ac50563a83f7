import type { Answer } from './answer';
import type { MalformedKind } from './config';
import type { EmbeddingRequest } from './embedding-request';
import { embeddingVector, encodeVector } from './vectors';

export interface ResponseOptions {
  variant: number;
  noise: number;
  /** Break the answer this way (a 200 all the same); null for a correct one. */
  malformed: MalformedKind | null;
}

/**
 * The 200 answer to an embeddings request, in OpenAI's shape. The JSON is assembled by
 * hand: JSON.stringify would rescan every base64 string (~8 KB per 1536-dim vector) for
 * characters to escape, and base64 has none. It is all ASCII, so it goes out as latin1,
 * a plain copy, where UTF-8 encoding of a 2 MB answer costs twice as much.
 */
export function embeddingsAnswer(request: EmbeddingRequest, options: ResponseOptions): Answer {
  const vectorOptions = { model: request.model, dimensions: request.dimensions, variant: options.variant, noise: options.noise };
  const items = request.texts.map((text, index) => {
    const embedding = encodeVector(embeddingVector(text, vectorOptions), request.encoding);
    const json = typeof embedding === 'string' ? `"${embedding}"` : JSON.stringify(embedding);
    return `{"object":"embedding","index":${index},"embedding":${json}}`;
  });
  const usage = { prompt_tokens: request.totalTokens, total_tokens: request.totalTokens };
  const body = (data: string) =>
    Buffer.from(`{"object":"list","data":${data},"model":${JSON.stringify(request.model.answeredAs)},"usage":${JSON.stringify(usage)}}`, 'latin1');
  const fault = options.malformed === null ? null : `malformed:${options.malformed}`;
  switch (options.malformed) {
    case null:
      return { status: 200, body: body(`[${items.join(',')}]`), fault };
    case 'fewer-vectors':
      return { status: 200, body: body(`[${items.slice(0, -1).join(',')}]`), fault };
    case 'wrong-shape':
      return { status: 200, body: body(items[0]), fault };
    case 'invalid-json': {
      const whole = body(`[${items.join(',')}]`);
      return { status: 200, body: whole.subarray(0, Math.floor(whole.length / 2)), fault };
    }
  }
}
