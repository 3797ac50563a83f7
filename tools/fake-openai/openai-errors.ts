import { type Answer, type OpenAIErrorBody, errorAnswer, retryAfterHeaders } from './answer';

/**
 * OpenAI's error answers. Messages, types and codes copy answers seen from the real API;
 * the `dimensions` range, `encoding_format` and body-size ones only follow its style.
 */

const API_REFERENCE = 'Please check the API reference: https://platform.openai.com/docs/api-reference.';
const RATE_LIMITS_DOC = 'Visit https://platform.openai.com/account/rate-limits to learn more.';
const ORGANIZATION = 'org-fake-openai';

const invalidRequest = (message: string, param: string | null = null, code: string | null = null): Answer =>
  errorAnswer(400, { message, type: 'invalid_request_error', param, code });

export const invalidJson = (): Answer =>
  invalidRequest(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. " +
      'The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)',
  );

export const invalidInput = (): Answer => invalidRequest(`'$.input' is invalid. ${API_REFERENCE}`);

export const missingModel = (): Answer => invalidRequest('you must provide a model parameter');

export const unrecognizedArgument = (name: string): Answer => invalidRequest(`Unrecognized request argument supplied: ${name}`);

export const tooManyInputs = (count: number, max: number): Answer =>
  invalidRequest(
    `Invalid 'input': array too long. Expected an array with maximum length ${max}, but got an array with length ${count} instead.`,
    'input',
    'array_above_max_length',
  );

export const contextLengthExceeded = (tokens: number, max: number): Answer =>
  invalidRequest(
    `This model's maximum context length is ${max} tokens, however you requested ${tokens} tokens ` +
      `(${tokens} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.`,
  );

export const tooManyTokensPerRequest = (tokens: number, max: number): Answer =>
  errorAnswer(400, {
    message: `Requested ${tokens} tokens, max ${max} tokens per request`,
    type: 'max_tokens_per_request',
    code: 'max_tokens_per_request',
  });

export const dimensionsNotSupported = (): Answer => invalidRequest('This model does not support specifying dimensions.');

export const invalidDimensions = (value: unknown, max: number): Answer =>
  invalidRequest(
    `Invalid value for 'dimensions' = ${JSON.stringify(value)}. Must be an integer between 1 and ${max}.`,
    'dimensions',
    'invalid_value',
  );

export const invalidEncodingFormat = (value: unknown): Answer =>
  invalidRequest(
    `Invalid value for 'encoding_format': ${JSON.stringify(value)}. Supported values are: 'float' and 'base64'.`,
    'encoding_format',
    'invalid_value',
  );

export const modelNotFound = (model: string): Answer =>
  errorAnswer(404, {
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: 'invalid_request_error',
    code: 'model_not_found',
  });

export const missingApiKey = (): Answer =>
  errorAnswer(401, {
    message:
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth " +
      '(i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.',
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  });

export const incorrectApiKey = (key: string, fault: string | null = null): Answer =>
  errorAnswer(
    401,
    {
      message: `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    },
    fault,
  );

export const insufficientQuota = (): Answer =>
  errorAnswer(
    429,
    {
      message:
        'You exceeded your current quota, please check your plan and billing details. ' +
        'For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
      type: 'insufficient_quota',
      code: 'insufficient_quota',
    },
    'insufficient-quota',
  );

export interface RateLimitHit {
  model: string;
  /** "requests" or "tokens": also OpenAI's error `type` for these 429s. */
  kind: 'requests' | 'tokens';
  limit: number;
  used: number;
  requested: number;
  retryAfterMs: number;
}

export const rateLimitReached = (hit: RateLimitHit, fault: string): Answer =>
  errorAnswer(
    429,
    {
      message:
        `Rate limit reached for ${hit.model} in organization ${ORGANIZATION} on ${unitName(hit.kind)}: ` +
        `Limit ${hit.limit}, Used ${hit.used}, Requested ${hit.requested}. ` +
        `Please try again in ${secondsText(hit.retryAfterMs)}. ${RATE_LIMITS_DOC}`,
      type: hit.kind,
      code: 'rate_limit_exceeded',
    },
    fault,
    retryAfterHeaders(hit.retryAfterMs),
  );

/** A request bigger than the whole token budget: waiting never helps, so no retry-after. */
export const requestTooLarge = (model: string, limit: number, requested: number): Answer =>
  errorAnswer(
    429,
    {
      message:
        `Request too large for ${model} in organization ${ORGANIZATION} on ${unitName('tokens')}: Limit ${limit}, Requested ${requested}. ` +
        `The input or output tokens must be reduced in order to run successfully. ${RATE_LIMITS_DOC}`,
      type: 'tokens',
      code: 'rate_limit_exceeded',
    },
    'tpm-limit',
  );

/** An injected 429 has no real counters behind it, so its message names none. */
export const injectedRateLimit = (model: string, retryAfterMs: number): Answer =>
  errorAnswer(
    429,
    {
      message:
        `Rate limit reached for ${model} in organization ${ORGANIZATION} on ${unitName('requests')}. ` +
        `Please try again in ${secondsText(retryAfterMs)}. ${RATE_LIMITS_DOC}`,
      type: 'requests',
      code: 'rate_limit_exceeded',
    },
    'rate-limit',
    retryAfterHeaders(retryAfterMs),
  );

const STATUS_MESSAGES: Record<number, string> = {
  500: 'The server had an error while processing your request. Sorry about that!',
  502: 'Bad gateway.',
  503: 'The engine is currently overloaded, please try again later.',
};

type Wording = { [K in keyof OpenAIErrorBody]?: string | null };

/** Any status, in OpenAI's envelope; non-null `wording` fields replace the defaults. */
export const statusError = (status: number, fault: string, wording: Wording = {}): Answer =>
  errorAnswer(
    status,
    {
      message: wording.message ?? STATUS_MESSAGES[status] ?? `HTTP ${status}`,
      type: wording.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
      code: wording.code ?? null,
    },
    fault,
  );

export const routeNotFound = (method: string, path: string): Answer =>
  errorAnswer(404, { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error' });

export const bodyTooLarge = (maxBytes: number): Answer =>
  errorAnswer(413, { message: `Request body too large: the fake accepts at most ${maxBytes} bytes.`, type: 'invalid_request_error' });

function unitName(kind: 'requests' | 'tokens'): string {
  return kind === 'requests' ? 'requests per min (RPM)' : 'tokens per min (TPM)';
}

/** "20ms", "1.5s": how OpenAI writes the wait in its 429 messages. */
function secondsText(ms: number): string {
  return ms < 1000 ? `${Math.ceil(ms)}ms` : `${Number((ms / 1000).toFixed(3))}s`;
}

/** OpenAI shows the first and last characters of a wrong key only. */
function maskKey(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}
