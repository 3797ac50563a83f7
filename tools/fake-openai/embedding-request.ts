import type { Answer } from './answer';
import { countTokens, decodeTokens, isKnownToken } from '../../src/embeddings/cl100k';
import { type EmbeddingModel, findModel } from './models';
import * as errors from './openai-errors';

export const MAX_INPUTS = 2048;
/** OpenAI's error names 8192 as the context; its guide says 8191 fit. Inputs over 8192 are refused. */
export const MAX_INPUT_TOKENS = 8192;
export const MAX_REQUEST_TOKENS = 300_000;

const KNOWN_FIELDS = new Set(['input', 'model', 'encoding_format', 'dimensions', 'user']);

export interface EmbeddingRequest {
  model: EmbeddingModel;
  /** Token-array inputs are decoded, so they embed like the text they stand for. */
  texts: string[];
  totalTokens: number;
  dimensions: number;
  encoding: 'float' | 'base64';
}

export type ParseResult = { ok: true; request: EmbeddingRequest } | { ok: false; answer: Answer };

/** Validates a parsed JSON body in the order OpenAI does; tokenizes each input once, last. */
export function parseEmbeddingRequest(body: unknown): ParseResult {
  const fail = (answer: Answer): ParseResult => ({ ok: false, answer });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail(errors.invalidJson());
  const fields = body as Record<string, unknown>;
  const unknownField = Object.keys(fields).find((name) => !KNOWN_FIELDS.has(name));
  if (unknownField !== undefined) return fail(errors.unrecognizedArgument(unknownField));

  if (typeof fields.model !== 'string' || fields.model === '') return fail(errors.missingModel());
  const model = findModel(fields.model);
  if (!model) return fail(errors.modelNotFound(fields.model));

  const inputs = readInputs(fields.input);
  if (!inputs) return fail(errors.invalidInput());
  if (inputs.length > MAX_INPUTS) return fail(errors.tooManyInputs(inputs.length, MAX_INPUTS));

  const encoding = fields.encoding_format ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64') return fail(errors.invalidEncodingFormat(encoding));

  let dimensions = model.nativeDimensions;
  if (fields.dimensions !== undefined && fields.dimensions !== null) {
    if (!model.acceptsDimensions) return fail(errors.dimensionsNotSupported());
    const asked = fields.dimensions;
    if (typeof asked !== 'number' || !Number.isInteger(asked) || asked < 1 || asked > model.nativeDimensions) {
      return fail(errors.invalidDimensions(asked, model.nativeDimensions));
    }
    dimensions = asked;
  }

  const texts: string[] = new Array(inputs.length);
  let totalTokens = 0;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    const tokens = typeof input === 'string' ? countTokens(input) : input.length;
    if (tokens > MAX_INPUT_TOKENS) return fail(errors.contextLengthExceeded(tokens, MAX_INPUT_TOKENS));
    texts[i] = typeof input === 'string' ? input : decodeTokens(input);
    totalTokens += tokens;
  }
  if (totalTokens > MAX_REQUEST_TOKENS) return fail(errors.tooManyTokensPerRequest(totalTokens, MAX_REQUEST_TOKENS));

  return { ok: true, request: { model, texts, totalTokens, dimensions, encoding } };
}

/**
 * `input` as OpenAI accepts it: a string, an array of strings, an array of token ids, or
 * an array of token-id arrays; none of them empty. Null when it is none of these.
 */
function readInputs(input: unknown): Array<string | number[]> | null {
  if (typeof input === 'string') return input === '' ? null : [input];
  if (!Array.isArray(input) || input.length === 0) return null;
  if (input.every((item) => typeof item === 'string' && item !== '')) return input as string[];
  if (isTokenArray(input)) return [input];
  if (input.every(isTokenArray)) return input as number[][];
  return null;
}

function isTokenArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((id) => typeof id === 'number' && isKnownToken(id));
}
