import { ADMIN_KEY, waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

const BREAKER = '/api/v1/circuit-breakers/openai';

const PAIRS = [
  { question: 'How long are invoices kept?', answer: 'Invoices are archived for ten years.', category: 'billing' },
  { question: 'Can I pay by bank transfer?', answer: 'Yes, bank transfer and card payments are accepted.', category: 'billing' },
  { question: 'How do I reset my password?', answer: 'Use the forgotten password link on the sign-in page.', category: 'account' },
  { question: 'Where can I change my email address?', answer: 'Open account settings and edit the email field.', category: 'account' },
];

describe('search modes, the query-embedding cache and degraded mode', () => {
  const t = useTestApp({ env: { SEARCH_EMBED_TIMEOUT_MS: '700', RATE_LIMIT_MAX_WAIT_MS: '300' } });
  const ids: string[] = [];

  const search = (body: Record<string, unknown>) => t.app.request('POST', '/api/v1/search', { body });
  const searchLedgerRows = () => countRows(t.db, `SELECT count(*) FROM usage_ledger WHERE purpose = 'search'`);

  beforeAll(async () => {
    const created = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items: PAIRS } });
    expect(created.status).toBe(201);
    ids.push(...created.body.items.map((item: { id: string }) => item.id));
    await waitFor(async () => (await countRows(t.db, `SELECT count(*) FROM embeddings`)) === PAIRS.length);
  });

  afterEach(async () => {
    t.fake.reset();
    await t.app.request('POST', `${BREAKER}/reset`, { key: ADMIN_KEY });
  });

  it('answers vector search by default, and a repeated (normalised) query from the cache without the provider or the ledger', async () => {
    const first = await search({ query: 'How long are invoices kept?' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ mode: 'vector', requestedMode: 'vector', degradedReason: null, cached: false });
    expect(first.body.queryTokens).toBeGreaterThan(3);
    expect(first.body.results[0]).toMatchObject({ id: ids[0], stale: false });
    expect(first.body.results[0].score).toBe(first.body.results[0].similarity);
    expect(first.headers.get('x-search-mode')).toBe('vector');
    const ledgerAfterFirst = await searchLedgerRows();
    const providerRequests = t.fake.stats().requests;

    const again = await search({ query: '  How long   are invoices kept? ' });
    expect(again.body).toMatchObject({ mode: 'vector', cached: true, queryTokens: 0 });
    expect(again.body.results.map((hit: { id: string }) => hit.id)).toEqual(first.body.results.map((hit: { id: string }) => hit.id));
    expect(t.fake.stats().requests).toBe(providerRequests);
    expect(await searchLedgerRows()).toBe(ledgerAfterFirst);

    const today = new Date().toISOString().slice(0, 10);
    const report = await t.app.request('GET', `/api/v1/cost/report?start=${today}&end=${today}`);
    expect(report.status).toBe(200);
    expect(report.body.queryCacheSavings).toMatchObject({ hits: 1, tokens: first.body.queryTokens });
    expect(Number(report.body.queryCacheSavings.costUsd)).toBeCloseTo((first.body.queryTokens * 0.02) / 1e6, 12);
  });

  it('answers lexical search from PostgreSQL without spending tokens, with the category filter', async () => {
    const ledgerBefore = await searchLedgerRows();
    const requestsBefore = t.fake.stats().requests;
    const lexical = await search({ query: 'password reset link', mode: 'lexical' });
    expect(lexical.status).toBe(200);
    expect(lexical.body).toMatchObject({ mode: 'lexical', requestedMode: 'lexical', degradedReason: null, queryTokens: 0 });
    expect(lexical.body.results[0]).toMatchObject({ id: ids[2], similarity: null, stale: false });
    expect(lexical.body.results[0].score).toBeGreaterThan(0);

    const filtered = await search({ query: 'password email bank', mode: 'lexical', category: 'billing' });
    expect(filtered.body.results.map((hit: { id: string }) => hit.id)).toEqual([ids[1]]);
    expect(await searchLedgerRows()).toBe(ledgerBefore);
    expect(t.fake.stats().requests).toBe(requestsBefore);
  });

  it('fuses vector and lexical results in hybrid mode', async () => {
    const hybrid = await search({ query: 'change my email address', mode: 'hybrid', limit: 3 });
    expect(hybrid.status).toBe(200);
    expect(hybrid.body.mode).toBe('hybrid');
    expect(hybrid.body.results).toHaveLength(3);
    expect(hybrid.body.results[0].id).toBe(ids[3]);
    const scores = hybrid.body.results.map((hit: { score: number }) => hit.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('refuses an unknown mode with a 400 naming the field', async () => {
    const bad = await search({ query: 'anything', mode: 'semantic' });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ field: 'mode' })]);
  });

  it('answers from the lexical index while the breaker is forced open, without calling the provider', async () => {
    expect((await t.app.request('POST', `${BREAKER}/force-open`, { key: ADMIN_KEY, body: { reason: 'provider incident' } })).status).toBe(200);
    const requestsBefore = t.fake.stats().requests;
    const degraded = await search({ query: 'Can I pay by bank transfer?' });
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ mode: 'lexical', requestedMode: 'vector', degradedReason: 'breaker_forced_open', queryTokens: 0 });
    expect(degraded.body.results[0].id).toBe(ids[1]);
    expect(degraded.headers.get('x-search-degraded')).toBe('breaker_forced_open');
    expect(t.fake.stats().requests).toBe(requestsBefore);

    const metrics = await t.app.request('GET', '/metrics');
    expect(String(metrics.body)).toMatch(/embsvc_search_degraded_total\{reason="breaker_forced_open"\} 1/);
  });

  it('answers from the lexical index when the provider hangs past the search timeout', async () => {
    t.fake.configure({ hang: { next: 1 } });
    const degraded = await search({ query: 'How do I reset my password please?' });
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ mode: 'lexical', degradedReason: 'provider_timeout' });
    expect(degraded.body.results[0].id).toBe(ids[2]);
  });

  it('answers from the lexical index when the provider refuses our API key', async () => {
    t.fake.configure({
      fail: { next: 1, status: 401, code: 'invalid_api_key', type: 'invalid_request_error', message: 'Incorrect API key provided: sk-***' },
    });
    const degraded = await search({ query: 'Are invoices archived for ten years?' });
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ mode: 'lexical', degradedReason: 'credentials_rejected' });
    expect(degraded.body.results[0].id).toBe(ids[0]);
  });

  // Last: the block it causes outlives the test.
  it('answers from the lexical index while the rate budget is blocked by a long Retry-After', async () => {
    t.fake.configure({ rateLimit: { next: 1, retryAfterMs: 60_000 } });
    const degraded = await search({ query: 'Where can I change my email address?', mode: 'hybrid' });
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ mode: 'lexical', requestedMode: 'hybrid', degradedReason: 'rate_limited' });
    expect(degraded.body.results[0].id).toBe(ids[3]);
  });
});
