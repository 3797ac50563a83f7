import type { DataSource } from 'typeorm';
import type { FakeOpenAI } from '../../tools/fake-openai';
import { fakeProviderEnv, startFakeProvider } from '../support/fake-provider';
import { createTestEnvironment, destroyTestEnvironment, openDatabase, TestApp, type TestEnvironment, waitFor } from '../support/test-app';

const PAIRS = 500;
const WINDOW_MS = 5_000;
const PROVIDER_TOKENS_PER_WINDOW = 4_000;
/** The service's budget, a few percent under the provider's limit (see circuit-breaker/README.md). */
const BUDGET_TOKENS_PER_WINDOW = 3_880;

/** A tokens-per-window limit on the provider: the workers pace themselves to it instead of collecting 429s. */
describe('an ingest under the provider tokens-per-minute limit', () => {
  let fake: FakeOpenAI;
  let environment: TestEnvironment;
  let app: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    fake = await startFakeProvider();
    fake.configure({ limits: { tokensPerMinute: PROVIDER_TOKENS_PER_WINDOW, windowMs: WINDOW_MS } });
    environment = await createTestEnvironment({
      ...fakeProviderEnv(fake),
      RATE_LIMIT_TPM: String(BUDGET_TOKENS_PER_WINDOW),
      RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
      QUEUE_BATCH_MAX_INPUTS: '20',
      QUEUE_CONCURRENCY: '60',
    });
    app = await TestApp.start(environment);
    db = await openDatabase(environment.databaseUrl);
  });

  afterAll(async () => {
    await db?.destroy();
    await app?.close();
    await fake?.close();
    if (environment) await destroyTestEnvironment(environment);
  });

  it('finishes with almost no 429s and nothing dead-lettered', async () => {
    const items = Array.from({ length: PAIRS }, (_, i) => ({
      question: `Rate-limited question ${i} on topic ${i % 13}?`,
      answer: `Answer ${i}, see section ${i % 9}.`,
    }));
    expect((await app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } })).status).toBe(201);
    await waitFor(async () => Number((await db.query(`SELECT count(*) AS n FROM embeddings`))[0].n) === PAIRS, 50_000, 200);
    expect(Number((await db.query(`SELECT count(*) AS n FROM dead_letters`))[0].n)).toBe(0);

    const stats = fake.stats();
    expect(stats.tokens).toBeGreaterThan(2 * PROVIDER_TOKENS_PER_WINDOW); // the limit had to pace the ingest
    expect((stats.byStatus['429'] ?? 0) / stats.requests).toBeLessThan(0.01);

    const budget = (await app.request('GET', '/api/v1/circuit-breakers/openai/rate-budget')).body;
    expect(budget).toMatchObject({ name: 'openai', tpm: BUDGET_TOKENS_PER_WINDOW, windowMs: WINDOW_MS });
    const metrics = (await app.request('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/embsvc_rate_budget_wait_seconds_count\{budget="openai"\} [1-9]/);
  });
});
