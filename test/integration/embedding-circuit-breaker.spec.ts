import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { APIError } from 'openai';
import {
  BreakerOpenError,
  breakerKeys,
  CircuitBreaker,
  type BreakerTransition,
  type CircuitBreakerOptions,
  listBreakers,
  RateBudget,
  type RateBudgetOptions,
} from '../../src/circuit-breaker';
import { TEST_REDIS_URL } from '../support/test-env';

const redis = new Redis(TEST_REDIS_URL);
const keyPrefix = `test:cb:${randomBytes(4).toString('hex')}:`;
const extraConnections: Redis[] = [];

afterAll(async () => {
  await deleteKeys(redis, keyPrefix);
  await Promise.all([redis, ...extraConnections].map((connection) => connection.quit()));
});

function connection(): Redis {
  const extra = new Redis(TEST_REDIS_URL);
  extraConnections.push(extra);
  return extra;
}

function breakerOptions(overrides: Partial<CircuitBreakerOptions> = {}): CircuitBreakerOptions {
  return { name: `cb-${randomBytes(3).toString('hex')}`, keyPrefix, ...overrides };
}

function newBreaker(overrides: Partial<CircuitBreakerOptions> = {}): CircuitBreaker {
  return new CircuitBreaker(redis, breakerOptions(overrides));
}

function providerError(status: number, code?: string): APIError {
  return APIError.generate(status, { error: { message: `status ${status}`, code } }, undefined, new Headers());
}

const outage = () => providerError(503);

async function failWith(breaker: CircuitBreaker, error: unknown, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    await expect(breaker.call(() => Promise.reject(error))).rejects.toBe(error);
  }
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`never happened: ${what}`);
}

async function halfOpen(breaker: CircuitBreaker): Promise<void> {
  await eventually(async () => (await breaker.state()) === 'half_open', 'breaker half-open');
}

describe('CircuitBreaker', () => {
  it('closed allows requests', async () => {
    const breaker = newBreaker();
    await expect(breaker.call(async (x: number) => x * 2, 21)).resolves.toBe(42);
    expect(await breaker.state()).toBe('closed');
    expect(await breaker.acquire()).toMatchObject({ allowed: true, probe: false, permitId: null, state: 'closed' });
  });

  it('opens after N failures', async () => {
    const breaker = newBreaker({ failureThreshold: 3 });
    await failWith(breaker, outage(), 2);
    expect(await breaker.state()).toBe('closed');
    await failWith(breaker, outage());
    expect(await breaker.state()).toBe('open');

    const fn = jest.fn(async () => 'never');
    const rejection = breaker.call(fn);
    await expect(rejection).rejects.toBeInstanceOf(BreakerOpenError);
    await expect(rejection).rejects.toMatchObject({ state: 'open', forced: false });
    const error = (await rejection.catch((e: unknown) => e)) as BreakerOpenError;
    expect(error.retryInMs).toBeGreaterThan(0);
    expect(error.retryAt).toBeGreaterThan(0);
    expect(fn).not.toHaveBeenCalled();
  });

  it('half-open after the timeout', async () => {
    const breaker = newBreaker({ failureThreshold: 1, recoveryTimeoutMs: 300 });
    await failWith(breaker, outage());
    await halfOpen(breaker);
    const admission = await breaker.acquire();
    expect(admission).toMatchObject({ allowed: true, probe: true, state: 'half_open' });
    expect(admission.permitId).toEqual(expect.any(String));
  });

  it('closes on success', async () => {
    const breaker = newBreaker({ failureThreshold: 1, recoveryTimeoutMs: 300 });
    await failWith(breaker, outage());
    await halfOpen(breaker);
    await expect(breaker.call(async () => 'ok')).resolves.toBe('ok');
    expect(await breaker.state()).toBe('closed');
    expect((await breaker.snapshot()).consecutiveFailures).toBe(0);
    expect((await breaker.history())[0]).toMatchObject({ from: 'half_open', to: 'closed' });
  });

  it('state kept in Redis across a new instance', async () => {
    const options = breakerOptions({ failureThreshold: 2 });
    await failWith(new CircuitBreaker(redis, options), outage(), 2);

    const successor = new CircuitBreaker(connection(), options);
    expect(await successor.state()).toBe('open');
    const snapshot = await successor.snapshot();
    expect(snapshot).toMatchObject({ consecutiveFailures: 2, transitions: 1 });
    expect(snapshot.openedAt).toEqual(expect.any(Number));
    expect(snapshot.nextProbeAt).toBeGreaterThan(snapshot.openedAt ?? Infinity);
    expect(snapshot.lastError?.message).toContain('503');
    await expect(successor.call(async () => 'ok')).rejects.toBeInstanceOf(BreakerOpenError);

    const keys = breakerKeys(keyPrefix, options.name);
    await redis.del(keys.state, keys.probes, keys.window, keys.history);
    expect(await successor.state()).toBe('closed');
    await expect(successor.call(async () => 'ok')).resolves.toBe('ok');
  });

  it('does not count client errors, and they do not close a half-open breaker', async () => {
    const breaker = newBreaker({ failureThreshold: 2, recoveryTimeoutMs: 100 });
    for (const status of [400, 404, 422]) await failWith(breaker, providerError(status), 2);
    expect(await breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });

    await failWith(breaker, outage(), 2);
    await halfOpen(breaker);
    await failWith(breaker, providerError(404));
    expect(await breaker.snapshot()).toMatchObject({ state: 'half_open', probesInFlight: 0 });
    expect(await breaker.acquire()).toMatchObject({ allowed: true, probe: true });
  });

  it('opens at once on a refused API key, keeps the cause through half-open, and forgets it when a probe succeeds', async () => {
    const breaker = newBreaker({ failureThreshold: 5, recoveryTimeoutMs: 100 });
    await failWith(breaker, providerError(401, 'invalid_api_key'));
    expect(await breaker.snapshot()).toMatchObject({ state: 'open', consecutiveFailures: 1, openCause: 'credentials_rejected' });
    const refused = await breaker.acquire();
    expect(refused).toMatchObject({ allowed: false, openCause: 'credentials_rejected' });
    expect((await breaker.history())[0].reason).toMatch(/^credentials_rejected: provider answered 401/);

    await halfOpen(breaker);
    expect(await breaker.snapshot()).toMatchObject({ state: 'half_open', openCause: 'credentials_rejected' });
    await failWith(breaker, providerError(403));
    expect(await breaker.snapshot()).toMatchObject({ state: 'open', openCause: 'credentials_rejected' });

    await halfOpen(breaker);
    await breaker.call(async () => 'the key works again');
    expect(await breaker.snapshot()).toMatchObject({ state: 'closed', openCause: null });

    // An ordinary outage opens with its own cause.
    await failWith(breaker, outage(), 5);
    expect(await breaker.snapshot()).toMatchObject({ state: 'open', openCause: 'failures' });
  });

  it('does not count an ordinary 429, but counts insufficient_quota', async () => {
    const breaker = newBreaker({ failureThreshold: 3 });
    await failWith(breaker, providerError(429, 'rate_limit_exceeded'), 5);
    expect(await breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    await failWith(breaker, providerError(429, 'insufficient_quota'), 3);
    expect(await breaker.state()).toBe('open');
  });

  it('trips on the failure rate only once the window holds minimumCalls', async () => {
    const breaker = newBreaker({ failureThreshold: 100, failureRateThreshold: 0.5, minimumCalls: 10 });
    for (let i = 0; i < 9; i++) {
      if (i % 2 === 0) await failWith(breaker, outage());
      else await breaker.call(async () => 'ok');
    }
    expect(await breaker.snapshot()).toMatchObject({ state: 'closed', window: { calls: 9, failures: 5 } });
    await failWith(breaker, outage());
    expect(await breaker.state()).toBe('open');
    expect((await breaker.history())[0].reason).toBe('6 of 10 calls failed in the window');
  });

  it('counts slow calls as failures when slowCallMs is set', async () => {
    const slowAware = newBreaker({ failureThreshold: 2, slowCallMs: 100 });
    await slowAware.recordSuccess(await slowAware.acquire(), 500);
    await slowAware.recordSuccess(await slowAware.acquire(), 500);
    const snapshot = await slowAware.snapshot();
    expect(snapshot.state).toBe('open');
    expect(snapshot.lastError?.message).toBe('slow call: 500 ms > 100 ms');

    const patient = newBreaker({ failureThreshold: 2 });
    for (let i = 0; i < 3; i++) await patient.recordSuccess(await patient.acquire(), 10_000);
    expect(await patient.state()).toBe('closed');
  });

  it('stays forced open through successes and the recovery timeout until released', async () => {
    const breaker = newBreaker({ failureThreshold: 1, recoveryTimeoutMs: 1 });
    const admittedBefore = await breaker.acquire();
    await breaker.forceOpen('provider maintenance');
    await expect(breaker.call(async () => 'ok')).rejects.toMatchObject({ name: 'BreakerOpenError', forced: true });
    await breaker.recordSuccess(admittedBefore, 1);
    await sleep(20);
    expect(await breaker.snapshot()).toMatchObject({ state: 'open', forced: 'open', forcedReason: 'provider maintenance', nextProbeAt: null });

    expect(await breaker.release()).toBe('half_open');
    await expect(breaker.call(async () => 'ok')).resolves.toBe('ok');
    expect(await breaker.snapshot()).toMatchObject({ state: 'closed', forced: null });
  });

  it('stays forced closed through failures until released', async () => {
    const breaker = newBreaker({ failureThreshold: 1 });
    await breaker.forceClosed('known flaky');
    await failWith(breaker, outage(), 3);
    expect(await breaker.snapshot()).toMatchObject({ state: 'closed', forced: 'closed', consecutiveFailures: 3 });
    expect(await breaker.release()).toBe('closed');
    expect((await breaker.snapshot()).consecutiveFailures).toBe(0);
    await failWith(breaker, outage());
    expect(await breaker.state()).toBe('open');
    expect(await breaker.reset()).toBe('closed');
    expect(await breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0, lastError: null });
  });

  it('admits exactly 2 of 20 concurrent acquires when half-open with halfOpenMaxProbes 2', async () => {
    const options = breakerOptions({ failureThreshold: 1, recoveryTimeoutMs: 100, halfOpenMaxProbes: 2 });
    const breaker = new CircuitBreaker(redis, options);
    await failWith(breaker, outage());
    await halfOpen(breaker);
    const breakers = Array.from({ length: 4 }, () => new CircuitBreaker(connection(), options));
    const admissions = await Promise.all(Array.from({ length: 20 }, (_, i) => breakers[i % 4].acquire()));
    expect(admissions.filter((a) => a.probe)).toHaveLength(2);
    const rejected = admissions.filter((a) => !a.allowed);
    expect(rejected).toHaveLength(18);
    for (const admission of rejected) {
      expect(admission.state).toBe('half_open');
      expect(admission.retryInMs).toBeGreaterThan(0);
    }
  });

  it('lets another probe in once a probe lease expires, and the expired probe no longer decides', async () => {
    const breaker = newBreaker({ failureThreshold: 1, recoveryTimeoutMs: 50, probeLeaseMs: 1000 });
    await failWith(breaker, outage());
    await halfOpen(breaker);
    const lostProbe = await breaker.acquire();
    expect(lostProbe.probe).toBe(true);
    let nextProbe = await breaker.acquire();
    expect(nextProbe.allowed).toBe(false);

    await eventually(async () => (nextProbe = await breaker.acquire()).allowed, 'a second probe admitted');
    expect(nextProbe.probe).toBe(true);
    expect(await breaker.recordSuccess(lostProbe, 1)).toBe('half_open');
    expect(await breaker.recordSuccess(nextProbe, 1)).toBe('closed');
  });

  it('keeps a capped history, newest first, and counts only changes of state', async () => {
    const breaker = newBreaker({ historySize: 3 });
    await breaker.forceOpen('deploy');
    await breaker.release();
    await breaker.forceClosed();
    await breaker.release();
    await breaker.reset();
    const history = await breaker.history();
    expect(history.map(({ from, to, reason }) => [from, to, reason])).toEqual([
      ['closed', 'closed', 'reset'],
      ['closed', 'closed', 'released'],
      ['half_open', 'closed', 'forced closed'],
    ]);
    expect(await redis.llen(breakerKeys(keyPrefix, breaker.name).history)).toBe(3);
    expect((await breaker.snapshot()).transitions).toBe(3);
  });

  it('emits a transition event for each transition this process makes', async () => {
    const breaker = newBreaker({ failureThreshold: 1, recoveryTimeoutMs: 50 });
    const seen: BreakerTransition[] = [];
    breaker.on('transition', (transition) => seen.push(transition));
    await failWith(breaker, outage());
    await halfOpen(breaker);
    await breaker.call(async () => 'ok');
    expect(seen.map(({ breaker: name, from, to }) => [name, from, to])).toEqual([
      [breaker.name, 'closed', 'open'],
      [breaker.name, 'open', 'half_open'],
      [breaker.name, 'half_open', 'closed'],
    ]);
    expect(seen[0].at).toEqual(expect.any(Number));
  });

  it('lists every breaker under a prefix with its snapshot', async () => {
    const prefix = `${keyPrefix}registry:`;
    const first = new CircuitBreaker(redis, { name: 'openai', keyPrefix: prefix, failureThreshold: 1 });
    const second = new CircuitBreaker(redis, { name: 'azure', keyPrefix: prefix });
    await failWith(first, outage());
    await second.call(async () => 'ok');
    const listed = await listBreakers(redis, prefix);
    expect(listed.map(({ name, state }) => [name, state])).toEqual([
      ['azure', 'closed'],
      ['openai', 'open'],
    ]);
  });
});

describe('RateBudget', () => {
  function newBudget(overrides: Partial<RateBudgetOptions> = {}, client: Redis = redis): RateBudget {
    return new RateBudget(client, { name: `rb-${randomBytes(3).toString('hex')}`, keyPrefix, ...overrides });
  }

  it('grants within the limits and refuses beyond them with a wait no longer than the window', async () => {
    const requests = newBudget({ rpm: 3 });
    for (let i = 0; i < 3; i++) expect(await requests.reserve(10)).toMatchObject({ granted: true });
    const refused = await requests.reserve(10);
    expect(refused.granted).toBe(false);
    if (!refused.granted) expect(refused.waitMs).toBeGreaterThan(0);
    if (!refused.granted) expect(refused.waitMs).toBeLessThanOrEqual(60_000);

    const tokens = newBudget({ tpm: 1000 });
    expect((await tokens.reserve(600)).granted).toBe(true);
    expect((await tokens.reserve(400)).granted).toBe(true);
    const full = await tokens.reserve(1);
    expect(full).toMatchObject({ granted: false, waitMs: expect.any(Number) });
  });

  it('settles a reservation to the usage the provider reported', async () => {
    const budget = newBudget({ tpm: 1000 });
    const estimate = await budget.reserve(900);
    if (!estimate.granted) throw new Error('expected a grant');
    expect((await budget.reserve(800)).granted).toBe(false);
    expect(await budget.settle(estimate.reservationId, 100)).toBe(true);
    expect((await budget.reserve(800)).granted).toBe(true);
    expect(await budget.settle('no-such-reservation', 5)).toBe(false);
  });

  it('grants a request larger than the whole tpm alone, once the window holds no tokens', async () => {
    const budget = newBudget({ tpm: 1000, windowMs: 1000 });
    expect((await budget.reserve(10)).granted).toBe(true);
    expect((await budget.reserve(1500)).granted).toBe(false);
    expect((await budget.waitForTurn(1500)).granted).toBe(true);
    expect((await budget.reserve(10)).granted).toBe(false);
  });

  it('blockFor blocks every process, and a shorter block does not shorten it', async () => {
    const name = `rb-${randomBytes(3).toString('hex')}`;
    const here = newBudget({ name, rpm: 100 });
    const elsewhere = newBudget({ name, rpm: 100 }, connection());
    await here.blockFor(120_000);
    await here.blockFor(10);
    const refused = await elsewhere.reserve(1);
    expect(refused.granted).toBe(false);
    if (!refused.granted) expect(refused.waitMs).toBeGreaterThan(60_000);
    expect((await elsewhere.limits()).blockedUntil).toEqual(expect.any(Number));
  });

  it('caps every block at maxBlockMs, also one written under a larger cap, and clearBlock ends it', async () => {
    const name = `rb-${randomBytes(3).toString('hex')}`;
    const capped = newBudget({ name, maxBlockMs: 2_000 });
    await capped.blockFor(86_400_000);
    let refused = await capped.reserve(1);
    expect(refused.granted).toBe(false);
    if (!refused.granted) expect(refused.waitMs).toBeLessThanOrEqual(2_000);
    await capped.learnFromHeaders({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '24h0m0s' });
    expect((await capped.limits()).blockedUntil! - Date.now()).toBeLessThanOrEqual(2_000);

    // A process with a larger cap blocked for a day: this one's reserve cuts it to its own cap.
    await newBudget({ name, maxBlockMs: 86_400_000 }).blockFor(86_400_000);
    refused = await capped.reserve(1);
    if (!refused.granted) expect(refused.waitMs).toBeLessThanOrEqual(2_000);
    expect((await capped.limits()).blockedUntil! - Date.now()).toBeLessThanOrEqual(2_000);

    expect(await capped.clearBlock()).toBe(true);
    expect((await capped.reserve(1)).granted).toBe(true);
    expect(await capped.clearBlock()).toBe(false);
  });

  it('learnFromHeaders lowers the limits to what the provider says, never above the configured ones', async () => {
    const budget = newBudget({ rpm: 100, tpm: 10_000 });
    await budget.learnFromHeaders({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-limit-tokens': '500' });
    expect(await budget.limits()).toMatchObject({ rpm: 2, tpm: 500 });
    expect((await budget.reserve(1)).granted).toBe(true);
    expect((await budget.reserve(1)).granted).toBe(true);
    expect((await budget.reserve(1)).granted).toBe(false);

    await budget.learnFromHeaders(new Headers({ 'x-ratelimit-limit-requests': '5000', 'x-ratelimit-limit-tokens': '1000000' }));
    expect(await budget.limits()).toMatchObject({ rpm: 100, tpm: 10_000 });

    await budget.learnFromHeaders({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '1m30s' });
    const blocked = await budget.reserve(1);
    expect(blocked.granted).toBe(false);
    if (!blocked.granted) expect(blocked.waitMs).toBeGreaterThan(60_000);
  });

  it('waitForTurn sleeps until granted, gives up past maxWaitMs and stops on abort', async () => {
    const budget = newBudget({ rpm: 1, windowMs: 1000 });
    expect((await budget.reserve(0)).granted).toBe(true);
    expect(await budget.waitForTurn(0, { maxWaitMs: 0 })).toMatchObject({ granted: false });
    await expect(budget.waitForTurn(0, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect((await budget.waitForTurn(0)).granted).toBe(true);
  });
});

async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  for await (const keys of client.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length > 0) await client.del(...keys);
  }
}
