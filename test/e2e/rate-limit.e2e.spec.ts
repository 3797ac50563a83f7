import { waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

const PAIRS = 500;
const WINDOW_MS = 5_000;
const PROVIDER_TOKENS_PER_WINDOW = 4_000;
/** The service's budget, a few percent under the provider's limit (see circuit-breaker/README.md). */
const BUDGET_TOKENS_PER_WINDOW = 3_880;

/** A tokens-per-window limit on the provider: the workers pace themselves to it instead of collecting 429s. */
describe('an ingest under the provider tokens-per-minute limit', () => {
  const t = useTestApp({
    env: {
      RATE_LIMIT_TPM: String(BUDGET_TOKENS_PER_WINDOW),
      RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
      QUEUE_BATCH_MAX_INPUTS: '20',
      QUEUE_CONCURRENCY: '60',
    },
  });

  beforeAll(() => {
    t.fake.configure({ limits: { tokensPerMinute: PROVIDER_TOKENS_PER_WINDOW, windowMs: WINDOW_MS } });
  });

  it('finishes with almost no 429s and nothing dead-lettered', async () => {
    const items = Array.from({ length: PAIRS }, (_, i) => ({
      question: `Rate-limited question ${i} on topic ${i % 13}?`,
      answer: `Answer ${i}, see section ${i % 9}.`,
    }));
    expect((await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } })).status).toBe(201);
    await waitFor(async () => Number((await t.db.query(`SELECT count(*) AS n FROM embeddings`))[0].n) === PAIRS, 50_000, 200);
    expect(Number((await t.db.query(`SELECT count(*) AS n FROM dead_letters`))[0].n)).toBe(0);

    const stats = t.fake.stats();
    expect(stats.tokens).toBeGreaterThan(2 * PROVIDER_TOKENS_PER_WINDOW); // the limit had to pace the ingest
    expect((stats.byStatus['429'] ?? 0) / stats.requests).toBeLessThan(0.01);

    const budget = (await t.app.request('GET', '/api/v1/circuit-breakers/openai/rate-budget')).body;
    expect(budget).toMatchObject({ name: 'openai', tpm: BUDGET_TOKENS_PER_WINDOW, windowMs: WINDOW_MS });
    const metrics = (await t.app.request('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/embsvc_rate_budget_wait_seconds_count\{budget="openai"\} [1-9]/);
  });
});
