import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { APIError } from 'openai';
import { CircuitBreaker, ProviderGuard, type ProviderGuardOptions, ProviderUnavailableError, RateBudget, type RateBudgetOptions } from '../../src/circuit-breaker';
import { ProviderError } from '../../src/embeddings/providers/provider-error';
import { TEST_REDIS_URL } from '../support/test-env';

const redis = new Redis(TEST_REDIS_URL);
const keyPrefix = `test:guard:${randomBytes(4).toString('hex')}:`;

afterAll(async () => {
  for await (const keys of redis.scanStream({ match: `${keyPrefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});

function newGuard(budget: Partial<RateBudgetOptions> = {}, options: Partial<ProviderGuardOptions> = {}): ProviderGuard {
  const name = `g-${randomBytes(3).toString('hex')}`;
  return new ProviderGuard(
    name,
    new CircuitBreaker(redis, { name, keyPrefix, failureThreshold: 2, recoveryTimeoutMs: 60_000 }),
    new RateBudget(redis, { name, keyPrefix, ...budget }),
    { maxWaitMs: 2_000, recoveryTimeoutMs: 60_000, ...options },
  );
}

function apiError(status: number, body: object = {}, headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, { error: { message: `status ${status}`, ...body } }, undefined, new Headers(headers));
}

const served = (reportedTokens?: number, headers?: Headers) => ({ vectors: [], reportedTokens, headers });

/** Runs `send` through the guard, answering with the queued outcomes in order. */
function sender(...outcomes: Array<Error | ReturnType<typeof served>>) {
  const send = jest.fn(async () => {
    const next = outcomes.shift();
    if (!next) throw new Error('no more outcomes queued');
    if (next instanceof Error) throw next;
    return next;
  });
  return send;
}

describe('ProviderGuard', () => {
  it('calls, records the success and settles the reported tokens', async () => {
    const guard = newGuard({ tpm: 1_000 });
    const send = sender(served(120, new Headers({ 'x-ratelimit-limit-tokens': '800' })));
    await expect(guard.call(100, send)).resolves.toMatchObject({ reportedTokens: 120 });
    expect(send).toHaveBeenCalledTimes(1);
    expect(await guard.budget.limits()).toMatchObject({ tpm: 800 });
    expect(await guard.breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    // 120 of 800 used: 680 left.
    expect(await guard.budget.reserve(680)).toMatchObject({ granted: true });
    expect(await guard.budget.reserve(1)).toMatchObject({ granted: false });
  });

  it('waits out an ordinary 429 (Retry-After, cluster-wide) and retries without counting it', async () => {
    const guard = newGuard();
    const send = sender(apiError(429, { code: 'rate_limit_exceeded' }, { 'retry-after-ms': '200' }), served(5));
    await expect(guard.call(5, send)).resolves.toMatchObject({ reportedTokens: 5 });
    expect(send).toHaveBeenCalledTimes(2);
    expect((await guard.budget.limits()).blockedUntil).toEqual(expect.any(Number));
    expect(await guard.breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0, lastError: null });
  });

  it('gives up as unavailable when the Retry-After is beyond the longest wait, however long it is', async () => {
    const guard = newGuard();
    const send = sender(apiError(429, { code: 'rate_limit_exceeded' }, { 'retry-after': '120' }));
    const error = await guard.call(5, send).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error).toMatchObject({ kind: 'unavailable', reason: 'rate_limited', guard: guard.name });
    expect((error as ProviderUnavailableError).retryInMs).toBeGreaterThan(100_000);
    await expect(guard.call(5, sender(served(5)))).rejects.toMatchObject({ reason: 'rate_limited' });
  });

  it('refuses as unavailable when the budget would make the call wait too long', async () => {
    const guard = newGuard({ tpm: 100 }, { maxWaitMs: 0 });
    await guard.call(100, sender(served(100)));
    const send = sender(served(1));
    await expect(guard.call(1, send)).rejects.toMatchObject({ reason: 'rate_limited' });
    expect(send).not.toHaveBeenCalled();
  });

  it('throws transient failures while closed, and the outage once the breaker opened on them', async () => {
    const guard = newGuard();
    const first = await guard.call(1, sender(apiError(503))).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ProviderError);
    expect(first).not.toBeInstanceOf(ProviderUnavailableError);
    expect(first).toMatchObject({ kind: 'transient' });

    const second = await guard.call(1, sender(apiError(503))).catch((e: unknown) => e);
    expect(second).toMatchObject({ kind: 'unavailable', reason: 'breaker_open', retryInMs: 60_000 });
    expect((second as Error).cause).toMatchObject({ kind: 'transient', details: { status: 503 } });

    const send = sender(served(1));
    await expect(guard.call(1, send)).rejects.toMatchObject({ reason: 'breaker_open' });
    expect(send).not.toHaveBeenCalled();
    await guard.breaker.forceOpen('drill');
    await expect(guard.call(1, send)).rejects.toMatchObject({ reason: 'breaker_forced_open' });
  });

  it('passes client errors through without counting them', async () => {
    const guard = newGuard();
    for (let i = 0; i < 3; i++) await expect(guard.call(1, sender(apiError(400)))).rejects.toMatchObject({ kind: 'permanent' });
    expect(await guard.breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });
});
