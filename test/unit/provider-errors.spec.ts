import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  RateLimitError,
} from 'openai';
import { classifyProviderError, ProviderError, retryAfterMs } from '../../src/embeddings/providers/provider-error';

const headers = (entries: Record<string, string>) => new Headers(entries);
const apiError = (status: number, body: Record<string, unknown> = {}, h: Record<string, string> = {}) =>
  APIError.generate(status, { error: { message: 'm', ...body } }, 'm', headers(h));

describe('classifyProviderError', () => {
  it('retries 5xx, timeouts and connection errors, and counts them as an outage', () => {
    for (const error of [apiError(500), apiError(503), new APIConnectionError({ message: 'reset' }), new APIConnectionTimeoutError()]) {
      const classified = classifyProviderError(error);
      expect(classified.kind).toBe('transient');
      expect(classified.countsAsOutage).toBe(true);
      expect(classified.retryable).toBe(true);
    }
    expect(apiError(500)).toBeInstanceOf(InternalServerError);
  });

  it('treats an ordinary 429 as rate limiting with its Retry-After, and insufficient_quota as an outage', () => {
    const limited = classifyProviderError(apiError(429, { code: 'rate_limit_exceeded' }, { 'retry-after': '90' }));
    expect(limited).toMatchObject({ kind: 'rate_limited', details: { status: 429, retryAfterMs: 90_000 } });
    expect(limited.countsAsOutage).toBe(false);
    const quota = classifyProviderError(apiError(429, { code: 'insufficient_quota', type: 'insufficient_quota' }));
    expect(quota.kind).toBe('quota_exhausted');
    expect(quota.countsAsOutage).toBe(true);
    expect(apiError(429)).toBeInstanceOf(RateLimitError);
    const tooLarge = apiError(429, {
      code: 'rate_limit_exceeded',
      message: 'Request too large for text-embedding-3-small on tokens per min (TPM): Limit 150000, Requested 190000.',
    });
    expect(classifyProviderError(tooLarge).kind).toBe('permanent');
    const busy = apiError(429, {
      code: 'rate_limit_exceeded',
      message: 'Rate limit reached on tokens per min (TPM): Limit 150000, Used 149000, Requested 2000.',
    });
    expect(classifyProviderError(busy).kind).toBe('rate_limited');
  });

  it('never retries client errors, and they are no outage', () => {
    for (const status of [400, 404, 422]) {
      const classified = classifyProviderError(apiError(status));
      expect(classified).toMatchObject({ kind: 'permanent', details: { status } });
      expect(classified.retryable).toBe(false);
      expect(classified.countsAsOutage).toBe(false);
    }
    expect(apiError(400)).toBeInstanceOf(BadRequestError);
  });

  it('makes a refused API key (401, 403) a provider-wide outage to wait out, never a per-input error', () => {
    const revoked = apiError(401, {
      message:
        'Incorrect API key provided: sk-proj-abcd************************wxyz. You can find your API key at https://platform.openai.com/account/api-keys.',
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    });
    expect(revoked).toBeInstanceOf(AuthenticationError);
    for (const error of [revoked, apiError(403, { code: 'unsupported_country_region_territory' })]) {
      const classified = classifyProviderError(error);
      expect(classified.kind).toBe('credentials_rejected');
      expect(classified.retryable).toBe(true);
      expect(classified.countsAsOutage).toBe(true);
    }
    // Not even a masked key reaches logs, the breaker API or responses.
    expect(classifyProviderError(revoked).message).not.toMatch(/sk-proj|abcd|wxyz/);
    expect(classifyProviderError(revoked).message).toMatch(/^provider answered 401: .*Incorrect API key provided: sk-\*\*\*\. You can find/);
  });

  it('keeps our own aborts apart from outages', () => {
    const aborted = classifyProviderError(new APIUserAbortError());
    expect(aborted.kind).toBe('aborted');
    expect(aborted.countsAsOutage).toBe(false);
  });

  it('passes a ProviderError through, and makes anything else transient', () => {
    const own = new ProviderError('permanent', 'too long');
    expect(classifyProviderError(own)).toBe(own);
    expect(classifyProviderError(new TypeError('bad body')).kind).toBe('transient');
  });
});

describe('retryAfterMs', () => {
  it('prefers retry-after-ms, then seconds, then an HTTP date, with no 60 s cap', () => {
    expect(retryAfterMs(headers({ 'retry-after-ms': '1500', 'retry-after': '9' }))).toBe(1500);
    expect(retryAfterMs(headers({ 'retry-after': '120' }))).toBe(120_000);
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    expect(retryAfterMs(headers({ 'retry-after': inAMinute }))).toBeGreaterThan(50_000);
    expect(retryAfterMs(headers({}))).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
  });
});
