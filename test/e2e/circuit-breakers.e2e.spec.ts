import type { Redis } from 'ioredis';
import { REDIS } from '../../src/redis/redis.tokens';
import { ADMIN_KEY } from '../support/test-app';
import { useTestApp } from '../support/test-context';

const BREAKER = '/api/v1/circuit-breakers/openai';

/** The admin API, search behind the breaker, and the metrics, against the fake provider. */
describe('circuit breaker API and search behind the breaker', () => {
  const t = useTestApp({
    env: {
      BREAKER_FAILURE_THRESHOLD: '3',
      BREAKER_RECOVERY_TIMEOUT_MS: '60000',
      RATE_LIMIT_MAX_WAIT_MS: '2000',
    },
  });

  afterEach(async () => {
    t.fake.reset();
    await t.app.request('POST', `${BREAKER}/reset`, { key: ADMIN_KEY, body: { reason: 'next test' } });
    const budgetKeys = ['log', 'tokens', 'limits'].map((key) => `${t.environment.redisPrefix}:rate:openai:${key}`);
    await t.app.get<Redis>(REDIS).del(...budgetKeys);
  });

  const search = () => t.app.request('POST', '/api/v1/search', { body: { query: 'how long are invoices kept?' } });
  const admin = (action: string, body: unknown = {}) => t.app.request('POST', `${BREAKER}/${action}`, { key: ADMIN_KEY, body });

  it('lists the openai breaker, closed, to any key; unknown breakers are 404', async () => {
    const list = await t.app.request('GET', '/api/v1/circuit-breakers');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([expect.objectContaining({ name: 'openai', state: 'closed', forced: null, consecutiveFailures: 0 })]);
    expect((await t.app.request('GET', BREAKER)).body).toMatchObject({ name: 'openai', state: 'closed', openedAt: null });
    expect((await t.app.request('GET', '/api/v1/circuit-breakers/nope')).status).toBe(404);
    expect((await t.app.request('POST', '/api/v1/circuit-breakers/nope/force-open', { key: ADMIN_KEY, body: { reason: 'x' } })).status).toBe(404);
  });

  it('needs the admin key to control a breaker, and a reason to force it open', async () => {
    for (const action of ['force-open', 'force-closed', 'release', 'reset']) {
      expect((await t.app.request('POST', `${BREAKER}/${action}`, { body: { reason: 'user' } })).status).toBe(403);
      expect((await t.app.request('POST', `${BREAKER}/${action}`, { key: null, body: { reason: 'anon' } })).status).toBe(401);
    }
    const noReason = await admin('force-open', {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.message).toMatch(/^reason: /);
    expect((await t.app.request('GET', BREAKER)).body.state).toBe('closed');
  });

  it('answers search with 503 and Retry-After while forced open, without calling the provider; release lets a probe close it', async () => {
    const forced = await admin('force-open', { reason: 'provider incident' });
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ state: 'open', forced: 'open', forcedReason: 'provider incident' });

    const refused = await search();
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(refused.body.message).toMatch(/forced open/);
    expect(t.fake.stats().requests).toBe(0);

    const metrics = await t.app.request('GET', '/metrics');
    expect(metrics.body).toContain('embsvc_circuit_breaker_state{breaker="openai",state="open"} 1');
    expect(metrics.body).toContain('embsvc_circuit_breaker_forced{breaker="openai"} 1');
    expect(metrics.body).toMatch(/embsvc_circuit_breaker_rejected_calls_total\{breaker="openai",reason="breaker_forced_open"\} [1-9]/);

    const released = await admin('release', { reason: 'incident over' });
    expect(released.body).toMatchObject({ state: 'half_open', forced: null });
    expect((await search()).status).toBe(200);
    expect((await t.app.request('GET', BREAKER)).body).toMatchObject({ state: 'closed' });

    const history = await t.app.request('GET', `${BREAKER}/history`);
    expect(history.body.slice(0, 3).map((t: { to: string }) => t.to)).toEqual(['closed', 'half_open', 'open']);
    expect(history.body[2]).toMatchObject({ from: 'closed', forced: 'open', reason: 'forced open: provider incident' });
  });

  it('opens after the configured failures: search answers 503, then stops calling the provider', async () => {
    t.fake.configure({ outage: true });
    for (let i = 0; i < 3; i++) expect((await search()).status).toBe(503);
    const breaker = (await t.app.request('GET', BREAKER)).body;
    expect(breaker).toMatchObject({ state: 'open', consecutiveFailures: 3, forced: null });
    expect(breaker.lastError.message).toMatch(/transient: provider answered 503/);
    expect(Date.parse(breaker.nextProbeAt) - Date.parse(breaker.openedAt)).toBe(60_000);

    const refused = await search();
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(t.fake.stats().requests).toBe(3);
  });

  it('does not count client errors: a 401 leaves the breaker closed', async () => {
    t.fake.configure({ fail: { next: 5, status: 401 } });
    for (let i = 0; i < 5; i++) expect((await search()).status).toBe(500);
    expect((await t.app.request('GET', BREAKER)).body).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('waits out a short 429 and answers; a Retry-After beyond the wait limit blocks every caller and answers 503', async () => {
    t.fake.configure({ rateLimit: { next: 1, retryAfterMs: 300 } });
    expect((await search()).status).toBe(200);
    expect(t.fake.stats().byStatus).toEqual({ '200': 1, '429': 1 });

    t.fake.configure({ rateLimit: { next: 1, retryAfterMs: 90_000 } });
    const refused = await search();
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(60);
    const budget = await t.app.request('GET', `${BREAKER}/rate-budget`);
    expect(budget.body).toMatchObject({ name: 'openai', rpm: null, tpm: null, windowMs: 60_000 });
    expect(Date.parse(budget.body.blockedUntil) - Date.now()).toBeGreaterThan(60_000);
    expect((await search()).status).toBe(503);
    expect(t.fake.stats().requests).toBe(3);
    expect((await t.app.request('GET', BREAKER)).body).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('forced closed admits calls through failures until reset', async () => {
    expect((await admin('force-closed', { reason: 'we know better' })).body).toMatchObject({ state: 'closed', forced: 'closed' });
    t.fake.configure({ outage: true });
    for (let i = 0; i < 4; i++) expect((await search()).status).toBe(503);
    expect((await t.app.request('GET', BREAKER)).body).toMatchObject({ state: 'closed', forced: 'closed', consecutiveFailures: 4 });
    expect(t.fake.stats().requests).toBe(4);
    expect((await admin('reset')).body).toMatchObject({ state: 'closed', forced: null, consecutiveFailures: 0 });
  });
});
