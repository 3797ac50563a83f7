import { decodeVectors } from '../embeddings/providers/openai.provider';
import { PERMANENT_STATUSES } from '../embeddings/providers/provider-error';

/** What one line of a batch's output or error file says about its request. */
export type BatchLineResult =
  { customId: string; ok: true; vector: Float32Array; tokens: number } | { customId: string; ok: false; permanent: boolean; error: string };

/** A request's custom_id: the pair, the model and the content hash it was built from. */
export function customIdOf(qaPairId: string, modelId: number, contentHash: string): string {
  return `${qaPairId}:${modelId}:${contentHash}`;
}

/**
 * Reads one line of an output or error file. A 200 with one vector of the model's size is
 * embedded; anything else failed, and is permanent exactly when the same answer to a live
 * call would be (400/404/422 are, 429 and 5xx are not): a permanent failure becomes a dead
 * letter, a transient one goes back to be batched again. A line that cannot be read at all
 * is transient: the pair is simply tried again.
 */
export function readBatchLine(line: string, dimensions: number): BatchLineResult | null {
  let parsed: {
    custom_id?: unknown;
    response?: { status_code?: number; request_id?: string; body?: unknown } | null;
    error?: { message?: string } | null;
  };
  try {
    parsed = JSON.parse(line) as typeof parsed;
  } catch {
    return null;
  }
  if (typeof parsed.custom_id !== 'string') return null;
  const customId = parsed.custom_id;
  const status = parsed.response?.status_code ?? 0;
  const body = parsed.response?.body as
    { data?: Array<{ index: number; embedding: unknown }>; usage?: { prompt_tokens?: number }; error?: { message?: string } } | undefined;
  if (status === 200) {
    try {
      const [vector] = decodeVectors(body?.data, 1, dimensions, parsed.response?.request_id);
      return { customId, ok: true, vector, tokens: body?.usage?.prompt_tokens ?? 0 };
    } catch (error) {
      return { customId, ok: false, permanent: false, error: error instanceof Error ? error.message : String(error) };
    }
  }
  const message = body?.error?.message ?? parsed.error?.message ?? `status ${status}`;
  return { customId, ok: false, permanent: PERMANENT_STATUSES.has(status), error: `batch line failed (${status}): ${message}` };
}
