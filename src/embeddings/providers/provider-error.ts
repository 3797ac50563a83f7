import { APIConnectionError, APIError, APIUserAbortError } from 'openai';

/**
 * How a failed provider call is handled, decided once here and used by the queue,
 * the circuit breaker and search alike.
 * - transient: retry with backoff; counts toward the breaker (5xx, timeouts, connection errors).
 * - rate_limited: wait as the provider asks; does not count toward the breaker.
 * - quota_exhausted: a 429 that will not pass by waiting a minute; counts toward the breaker.
 * - credentials_rejected: the provider refused our API key (401, 403): every call fails alike
 *   until an operator fixes the key, so it opens the breaker at once and the work waits,
 *   spending no attempt, until a probe gets through.
 * - permanent: do not retry; dead-letter at once (400, 404, 422, input too long).
 * - aborted: we cancelled the call ourselves (shutdown, cancelled work); retry, never an outage.
 * - unavailable: we did not call: the circuit breaker or the rate budget did not admit it
 *   (`ProviderUnavailableError` in circuit-breaker/); come back after `retryAfterMs`.
 */
export type ProviderErrorKind = 'transient' | 'rate_limited' | 'quota_exhausted' | 'credentials_rejected' | 'permanent' | 'aborted' | 'unavailable';

export interface ProviderErrorDetails {
  status?: number;
  code?: string;
  retryAfterMs?: number;
  requestId?: string;
  /** The error response's headers (its `x-ratelimit-*` feed the shared rate budget). */
  headers?: Headers;
}

export class ProviderError extends Error {
  override readonly name = 'ProviderError';

  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly details: ProviderErrorDetails = {},
  ) {
    super(message);
  }

  /** Whether this failure says the provider is unhealthy (and so feeds the breaker). */
  get countsAsOutage(): boolean {
    return this.kind === 'transient' || this.kind === 'quota_exhausted' || this.kind === 'credentials_rejected';
  }

  /** An outage that no further call can disprove: the breaker opens on the first one, without waiting for a threshold. */
  get opensBreakerAtOnce(): boolean {
    return this.kind === 'credentials_rejected';
  }

  get retryable(): boolean {
    return this.kind !== 'permanent';
  }
}

export const PERMANENT_STATUSES = new Set([400, 404, 422]);
/** The key is wrong, revoked, or not allowed (OpenAI: `invalid_api_key`, missing scopes, unsupported region). */
const CREDENTIAL_STATUSES = new Set([401, 403]);

/** Turns anything a provider call threw into a classified ProviderError. */
export function classifyProviderError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIUserAbortError || (error instanceof Error && error.name === 'AbortError')) {
    return new ProviderError('aborted', 'provider call aborted by us');
  }
  if (error instanceof APIConnectionError) {
    // Includes APIConnectionTimeoutError: the request may never have reached the provider.
    return new ProviderError('transient', `provider unreachable: ${error.message}`);
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const details: ProviderErrorDetails = {
      status,
      code: typeof error.code === 'string' ? error.code : undefined,
      requestId: error.requestID ?? undefined,
      retryAfterMs: retryAfterMs(error.headers),
      headers: error.headers,
    };
    const message = `provider answered ${status}: ${redactApiKeys(error.message)}`;
    if (status === 429) {
      const quota = details.code === 'insufficient_quota' || error.type === 'insufficient_quota';
      if (quota) return new ProviderError('quota_exhausted', message, details);
      // "Request too large … Limit 1000000, Requested 1200000": waiting never makes it fit.
      return new ProviderError(neverFitsRateLimit(error.message) ? 'permanent' : 'rate_limited', message, details);
    }
    if (CREDENTIAL_STATUSES.has(status)) return new ProviderError('credentials_rejected', message, details);
    if (PERMANENT_STATUSES.has(status)) return new ProviderError('permanent', message, details);
    return new ProviderError('transient', message, details);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError('transient', `provider call failed: ${message}`);
}

/** OpenAI quotes the refused key, masked (`sk-abc***xyz`): even that stays out of logs, the breaker API and responses. */
function redactApiKeys(message: string): string {
  return message.replace(/\bsk-[\w*-]+/g, 'sk-***');
}

function neverFitsRateLimit(message: string): boolean {
  const match = /Limit (\d+), Requested (\d+)/i.exec(message);
  return match !== null && Number(match[2]) > Number(match[1]);
}

/** Reads `retry-after-ms`, then `retry-after` (seconds or an HTTP date); no cap. */
export function retryAfterMs(headers: Headers | Record<string, string | null | undefined> | undefined): number | undefined {
  if (!headers) return undefined;
  const get = (name: string): string | null | undefined =>
    headers instanceof Headers ? headers.get(name) : (headers[name] ?? headers[name.toLowerCase()]);
  const ms = Number.parseFloat(get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const raw = get('retry-after');
  if (!raw) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}
