import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, throwError } from 'rxjs';
import { ProviderUnavailableError } from '../../src/circuit-breaker';
import { CREDENTIALS_REJECTED } from '../../src/circuit-breaker/breaker-types';
import { ProviderUnavailableInterceptor } from '../../src/circuit-breaker/provider-unavailable.interceptor';
import { DomainError, httpStatusOf } from '../../src/common/errors';
import { ProviderError } from '../../src/embeddings/providers/provider-error';

async function answerTo(error: Error): Promise<unknown> {
  const handler: CallHandler = { handle: () => throwError(() => error) };
  return lastValueFrom(new ProviderUnavailableInterceptor().intercept({} as ExecutionContext, handler)).catch((e: unknown) => e);
}

describe('ProviderUnavailableInterceptor', () => {
  it('answers a refused API key with 503, Retry-After and words that say what to do, never 500', async () => {
    const held = new ProviderUnavailableError(
      'openai',
      'credentials_rejected',
      60_000,
      `the openai circuit breaker is open: ${CREDENTIALS_REJECTED}`,
    );
    const answer = await answerTo(held);
    expect(answer).toBeInstanceOf(DomainError);
    expect(answer).toMatchObject({ code: 'unavailable', retryAfterMs: 60_000 });
    expect(httpStatusOf((answer as DomainError).code)).toBe(503);
    expect((answer as Error).message).toMatch(/^the embedding provider is unavailable: .*rejected the API key.*OPENAI_API_KEY.*resume by themselves/);

    // A breaker forced closed lets the 401 through as it is: still a 503.
    const unguarded = await answerTo(
      new ProviderError('credentials_rejected', 'provider answered 401: 401 Incorrect API key provided: sk-***.', { status: 401 }),
    );
    expect(unguarded).toMatchObject({ code: 'unavailable' });
  });

  it('passes a per-input error through', async () => {
    const permanent = new ProviderError('permanent', 'input too long');
    expect(await answerTo(permanent)).toBe(permanent);
  });
});
