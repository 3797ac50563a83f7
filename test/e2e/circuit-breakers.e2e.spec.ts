import type { Redis } from 'ioredis';
import { REDIS } from '../../src/redis/redis.tokens';
import { ADMIN_KEY } from '../support/test-app';
import { useTestApp } from '../support/test-context';

const BREAKER = '/api/v1/circuit-breakers/openai';

/**
 * The admin API, search behind the breaker, and the metrics, against the fake provider.
 * Search degrades to the lexical index while the query cannot be embedded (src/search), so
 * the breaker shows through `degradedReason`, never through a 500.
 */
describe('circuit breaker API and search behind the breaker', () => {
  const t = useTestApp({
    env: {
      BREAKER_FAILURE_THRESHOLD: '3',
      BREAKER_RECOVERY_TIMEOUT_MS: '60000',
      RATE_LIMIT_MAX_WAIT_MS: '2000',
      RATE_LIMIT_MAX_BLOCK_MS: '120000',
    },
  });

  afterEach(async () => {
    t.fake.reset();
    await t.app.request('POST', `${BREAKER}/reset`, { key: ADMIN_KEY, body: { reason: 'next test' } });
    const budgetKeys = ['log', 'tokens', 'limits'].map((key) => `${t.environment.redisPrefix}:rate:openai:${key}`);
    await t.app.get<Redis>(REDIS).del(...budgetKeys);
  });

  // A new query each time: a query embedding once made is cached, and would not reach the provider again.
  let searches = 0;
  const search = () => t.app.request('POST', '/api/v1/search', { body: { query: `how long are invoices kept? (${++searches})` } });
  const admin = (action: string, body: unknown = {}) => t.app.request('POST', `${BREAKER}/${action}`, { key: ADMIN_KEY, body });
  /** Search answers from the lexical index, saying why, while the query cannot be embedded (src/search): never a 500. */
  const expectDegraded = (response: Awaited<ReturnType<typeof search>>, reason: string) => {
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ mode: 'lexical', degradedReason: reason });
    expect(response.headers.get('x-search-degraded')).toBe(reason);
  };

  it('lists the openai breaker, closed, to any key; unknown breakers are 404', async () => {
    const list = await t.app.request('GET', '/api/v1/circuit-breakers');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([expect.objectContaining({ name: 'openai', state: 'closed', forced: null, consecutiveFailures: 0 })]);
    expect((await t.app.request('GET', BREAKER)).body).toMatchObject({ name: 'openai', state: 'closed', openedAt: null });
    expect((await t.app.request('GET', '/api/v1/circuit-breakers/nope')).status).toBe(404);
    expect((await t.app.request('POST', '/api/v1/circuit-breakers/nope/force-open', { key: ADMIN_KEY, body: { reason: 'x' } })).status).toBe(404);
  });

  it('needs the admin key to control a breaker, and a reason to force it open', async () => {
    for (const action of ['force-open', 'force-closed', 'release', 'reset', 'rate-limit/reset']) {
      expect((await t.app.request('POST', `${BREAKER}/${action}`, { body: { reason: 'user' } })).status).toBe(403);
      expect((await t.app.request('POST', `${BREAKER}/${action}`, { key: null, body: { reason: 'anon' } })).status).toBe(401);
    }
    const noReason = await admin('force-open', {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.message).toMatch(/^reason: /);
    expect((await t.app.request('GET', BREAKER)).body.state).toBe('closed');
  });

  it('degrades search while forced open, without calling the provider; release lets a probe close it', async () => {
    const forced = await admin('force-open', { reason: 'provider incident' });
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ state: 'open', forced: 'open', forcedReason: 'provider incident', openCause: null });

    expectDegraded(await search(), 'breaker_forced_open');
    expect(t.fake.stats().requests).toBe(0);

    const metrics = await t.app.request('GET', '/metrics');
    expect(metrics.body).toContain('embsvc_circuit_breaker_state{breaker="openai",state="open"} 1');
    expect(metrics.body).toContain('embsvc_circuit_breaker_forced{breaker="openai"} 1');
    expect(metrics.body).toMatch(/embsvc_circuit_breaker_rejected_calls_total\{breaker="openai",reason="breaker_forced_open"\} [1-9]/);

    const released = await admin('release', { reason: 'incident over' });
    expect(released.body).toMatchObject({ state: 'half_open', forced: null });
    expect((await search()).body).toMatchObject({ mode: 'vector' });
    expect((await t.app.request('GET', BREAKER)).body).toMatchObject({ state: 'closed' });

    const history = await t.app.request('GET', `${BREAKER}/history`);
    expect(history.body.slice(0, 3).map((t: { to: string }) => t.to)).toEqual(['closed', 'half_open', 'open']);
    expect(history.body[2]).toMatchObject({ from: 'closed', forced: 'open', reason: 'forced open: provider incident' });
  });

  it('opens after the configured failures, then stops calling the provider', async () => {
    t.fake.configure({ outage: true });
    for (const reason of ['provider_transient', 'provider_transient', 'breaker_open']) expectDegraded(await search(), reason);
    const breaker = (await t.app.request('GET', BREAKER)).body;
    expect(breaker).toMatchObject({ state: 'open', consecutiveFailures: 3, forced: null, openCause: 'failures' });
    expect(breaker.lastError.message).toMatch(/transient: provider answered 503/);
    expect(Date.parse(breaker.nextProbeAt) - Date.parse(breaker.openedAt)).toBe(60_000);

    expectDegraded(await search(), 'breaker_open');
    expect(t.fake.stats().requests).toBe(3);
  });

  it('a refused API key opens the breaker at once, with the cause in the API and the metrics, and is never a 500', async () => {
    t.fake.configure({ invalidApiKey: true });
    for (let i = 0; i < 5; i++) expectDegraded(await search(), 'credentials_rejected');
    expect(t.fake.stats().requests).toBe(1);
    expect(t.fake.stats().byStatus).toEqual({ '401': 1 });

    const breaker = (await t.app.request('GET', BREAKER)).body;
    expect(breaker).toMatchObject({ state: 'open', consecutiveFailures: 1, openCause: 'credentials_rejected' });
    expect(breaker.lastError.message).toMatch(/^credentials_rejected: provider answered 401: .*Incorrect API key provided: sk-\*\*\*\./);
    // Not even OpenAI's masked form of the key (`sk-***…enai`) is shown.
    expect(JSON.stringify(breaker)).not.toMatch(/sk-[\w*]*[A-Za-z0-9]/);
    const history = (await t.app.request('GET', `${BREAKER}/history`)).body;
    expect(history[0]).toMatchObject({ from: 'closed', to: 'open', reason: expect.stringMatching(/^credentials_rejected: /) });

    const metrics = (await t.app.request('GET', '/metrics')).body as string;
    expect(metrics).toContain('embsvc_circuit_breaker_open_cause{breaker="openai",cause="credentials_rejected"} 1');
    expect(metrics).toContain('embsvc_circuit_breaker_open_cause{breaker="openai",cause="failures"} 0');
    expect(metrics).toMatch(/embsvc_circuit_breaker_rejected_calls_total\{breaker="openai",reason="credentials_rejected"\} [1-9]/);
  });

  it('does not count client errors: a 400 leaves the breaker closed', async () => {
    t.fake.configure({ fail: { next: 5, status: 400 } });
    for (let i = 0; i < 5; i++) expectDegraded(await search(), 'provider_permanent');
    expect((await t.app.request('GET', BREAKER)).body).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('waits out a short 429 and answers; a Retry-After beyond the wait limit blocks every caller', async () => {
    t.fake.configure({ rateLimit: { next: 1, retryAfterMs: 300 } });
    expect((await search()).body).toMatchObject({ mode: 'vector' });
    expect(t.fake.stats().byStatus).toEqual({ '200': 1, '429': 1 });

    t.fake.configure({ rateLimit: { next: 1, retryAfterMs: 90_000 } });
    expectDegraded(await search(), 'rate_limited');
    const budget = await t.app.request('GET', `${BREAKER}/rate-budget`);
    expect(budget.body).toMatchObject({ name: 'openai', rpm: null, tpm: null, windowMs: 60_000, maxBlockMs: 120_000 });
    expect(Date.parse(budget.body.blockedUntil) - Date.now()).toBeGreaterThan(60_000);
    expectDegraded(await search(), 'rate_limited');
    expect(t.fake.stats().requests).toBe(3);
    expect((await t.app.request('GET', BREAKER)).body).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('blocks for at most RATE_LIMIT_MAX_BLOCK_MS on a Retry-After of a day, and an admin can end the block', async () => {
    t.fake.configure({ rateLimit: { next: 1, retryAfterMs: 86_400_000 } });
    expectDegraded(await search(), 'rate_limited');
    const blocked = (await t.app.request('GET', `${BREAKER}/rate-budget`)).body;
    const blockMs = Date.parse(blocked.blockedUntil) - Date.now();
    expect(blockMs).toBeGreaterThan(100_000);
    expect(blockMs).toBeLessThanOrEqual(120_000);

    expect((await t.app.request('POST', `${BREAKER}/rate-limit/reset`)).status).toBe(403);
    expect((await t.app.request('POST', `${BREAKER}/rate-limit/reset`, { key: null })).status).toBe(401);
    expect((await t.app.request('POST', '/api/v1/circuit-breakers/nope/rate-limit/reset', { key: ADMIN_KEY })).status).toBe(404);
    const reset = await admin('rate-limit/reset');
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ name: 'openai', blockedUntil: null, maxBlockMs: 120_000 });
    expect((await search()).body).toMatchObject({ mode: 'vector' });
    expect(t.fake.stats().byStatus).toEqual({ '200': 1, '429': 1 });
  });

  it('forced closed admits calls through failures until reset', async () => {
    expect((await admin('force-closed', { reason: 'we know better' })).body).toMatchObject({ state: 'closed', forced: 'closed' });
    t.fake.configure({ outage: true });
    for (let i = 0; i < 4; i++) expectDegraded(await search(), 'provider_transient');
    expect((await t.app.request('GET', BREAKER)).body).toMatchObject({ state: 'closed', forced: 'closed', consecutiveFailures: 4 });
    expect(t.fake.stats().requests).toBe(4);
    expect((await admin('reset')).body).toMatchObject({ state: 'closed', forced: null, consecutiveFailures: 0 });
  });
});
