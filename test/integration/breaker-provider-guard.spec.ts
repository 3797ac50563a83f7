import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { APIError } from 'openai';
import {
  CircuitBreaker,
  ProviderGuard,
  type ProviderGuardOptions,
  ProviderUnavailableError,
  RateBudget,
  type RateBudgetOptions,
} from '../../src/circuit-breaker';
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

function newGuard(
  budget: Partial<RateBudgetOptions> = {},
  options: Partial<ProviderGuardOptions> = {},
  client: Redis = redis,
  recoveryTimeoutMs = 60_000,
): ProviderGuard {
  const name = `g-${randomBytes(3).toString('hex')}`;
  return new ProviderGuard(
    name,
    new CircuitBreaker(client, { name, keyPrefix, failureThreshold: 2, recoveryTimeoutMs }),
    new RateBudget(client, { name, keyPrefix, ...budget }),
    { maxWaitMs: 2_000, recoveryTimeoutMs, ...options },
  );
}

/** A client that counts the commands it sends (each one a round trip: the guard never pipelines). */
function countingClient(): { client: Redis; commands: () => number } {
  const client = new Redis(TEST_REDIS_URL);
  let commands = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    commands++;
    return send(...args);
  }) as Redis['sendCommand'];
  return { client, commands: () => commands };
}

const revokedKey = () =>
  apiError(401, {
    message: 'Incorrect API key provided: sk-test-re********oked. You can find your API key at https://platform.openai.com/account/api-keys.',
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  });

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

  it('holds the work when the key is refused: the breaker opens at once with the cause, and closes by itself once a probe gets through', async () => {
    const guard = newGuard({}, {}, redis, 300);
    const refused = await guard.call(1, sender(revokedKey())).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProviderUnavailableError);
    expect(refused).toMatchObject({ kind: 'unavailable', reason: 'credentials_rejected', retryInMs: 300 });
    expect((refused as Error).message).toMatch(/rejected the API key/);
    expect((refused as Error).message).not.toMatch(/re\*+oked/);
    const snapshot = await guard.breaker.snapshot();
    expect(snapshot).toMatchObject({ state: 'open', openCause: 'credentials_rejected' });
    expect(snapshot.lastError?.message).toMatch(/^credentials_rejected: provider answered 401/);

    const send = sender(served(1));
    await expect(guard.call(1, send)).rejects.toMatchObject({ reason: 'credentials_rejected' });
    expect(send).not.toHaveBeenCalled();

    // Still refused at the probe: open again, same cause.
    await new Promise((resolve) => setTimeout(resolve, 350));
    await expect(guard.call(1, sender(revokedKey()))).rejects.toMatchObject({ reason: 'credentials_rejected' });
    expect(await guard.breaker.snapshot()).toMatchObject({ state: 'open', openCause: 'credentials_rejected' });

    // The key works again: the next probe closes the breaker.
    await new Promise((resolve) => setTimeout(resolve, 350));
    await expect(guard.call(1, sender(served(1)))).resolves.toMatchObject({ reportedTokens: 1 });
    expect(await guard.breaker.snapshot()).toMatchObject({ state: 'closed', openCause: null });
  });

  it('blocks for at most maxBlockMs however long the Retry-After, and the block can be cleared', async () => {
    const guard = newGuard({ maxBlockMs: 5_000 }, { maxWaitMs: 0 });
    const error = await guard.call(5, sender(apiError(429, { code: 'rate_limit_exceeded' }, { 'retry-after': '86400' }))).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'rate_limited' });
    expect((error as ProviderUnavailableError).retryInMs).toBeLessThanOrEqual(5_000);
    const { blockedUntil } = await guard.budget.limits();
    expect(blockedUntil).toEqual(expect.any(Number));
    expect(blockedUntil! - Date.now()).toBeLessThanOrEqual(5_000);

    expect(await guard.budget.clearBlock()).toBe(true);
    await expect(guard.call(5, sender(served(5)))).resolves.toMatchObject({ reportedTokens: 5 });
  });

  it('costs two Redis round trips per call: one script before, one after', async () => {
    const { client, commands } = countingClient();
    try {
      const guard = newGuard({ tpm: 1_000_000 }, {}, client);
      const headers = new Headers({ 'x-ratelimit-limit-tokens': '900000', 'x-ratelimit-limit-requests': '5000' });
      await guard.call(10, sender(served(10, headers))); // loads the scripts
      const before = commands();
      for (let i = 0; i < 10; i++) await guard.call(10, sender(served(10, headers)));
      expect((commands() - before) / 10).toBe(2);

      const failing = commands();
      await expect(guard.call(1, sender(apiError(400)))).rejects.toMatchObject({ kind: 'permanent' });
      expect(commands() - failing).toBe(2);
    } finally {
      await client.quit();
    }
  });
});
