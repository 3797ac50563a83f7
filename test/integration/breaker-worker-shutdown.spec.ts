import Bull from 'bull';
import type { DataSource } from 'typeorm';
import { ProviderGates } from '../../src/circuit-breaker/provider-gates';
import { EMBEDDINGS_QUEUE } from '../../src/queue/embedding-job';
import { bullRedisOptions } from '../../src/common/jobs/bull-options';
import type { FakeOpenAI } from '../../tools/fake-openai';
import { fakeProviderEnv, startFakeProvider } from '../support/fake-provider';
import { ADMIN_KEY, createTestEnvironment, destroyTestEnvironment, openDatabase, TestApp, type TestEnvironment, waitFor } from '../support/test-app';
import { countRows } from '../support/test-context';
import { TEST_REDIS_URL } from '../support/test-env';

const PAIRS = 30;
const CONCURRENCY = 8;

/** A worker that stops while its jobs wait for an open breaker hands them back to the queue, attempts intact. */
describe('stopping a worker that holds jobs for an open breaker', () => {
  let fake: FakeOpenAI;
  let environment: TestEnvironment;
  let db: DataSource;
  let queue: Bull.Queue;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    fake = await startFakeProvider();
    environment = await createTestEnvironment({
      ...fakeProviderEnv(fake),
      BREAKER_RECOVERY_TIMEOUT_MS: '1000',
      QUEUE_CONCURRENCY: String(CONCURRENCY),
      QUEUE_BATCH_MAX_INPUTS: '4',
    });
    db = await openDatabase(environment.databaseUrl);
    queue = new Bull(EMBEDDINGS_QUEUE, { prefix: environment.redisPrefix, redis: bullRedisOptions(TEST_REDIS_URL) });
  });

  afterAll(async () => {
    await queue?.close();
    await db?.destroy();
    for (const app of apps) await app.close().catch(() => undefined);
    await fake?.close();
    if (environment) await destroyTestEnvironment(environment);
  });

  const start = async () => {
    const app = await TestApp.start(environment);
    apps.push(app);
    return app;
  };
  const count = (table: string) => countRows(db, `SELECT count(*) AS n FROM ${table}`);

  it('postpones the held jobs under their alternate ids, and a new worker embeds everything once released', async () => {
    const first = await start();
    expect((await first.request('POST', '/api/v1/circuit-breakers/openai/force-open', { key: ADMIN_KEY, body: { reason: 'drill' } })).status).toBe(
      200,
    );
    const items = Array.from({ length: PAIRS }, (_, i) => ({ question: `Held question ${i}?`, answer: `Held answer ${i}.` }));
    expect((await first.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } })).status).toBe(201);
    await waitFor(async () => first.get(ProviderGates).held() === CONCURRENCY);
    expect(fake.stats().requests).toBe(0);

    await first.close();
    const delayed = await queue.getDelayed();
    expect(delayed).toHaveLength(CONCURRENCY);
    for (const job of delayed) {
      expect(String(job.id)).toMatch(/:postponed$/);
      expect(job.attemptsMade).toBe(0);
      expect(job.opts.attempts).toBe(3);
    }
    expect(await queue.getWaitingCount()).toBe(PAIRS - CONCURRENCY);
    expect(await queue.getFailedCount()).toBe(0);
    expect(await count('dead_letters')).toBe(0);

    const second = await start();
    expect((await second.request('POST', '/api/v1/circuit-breakers/openai/release', { key: ADMIN_KEY, body: {} })).status).toBe(200);
    await waitFor(async () => (await count('embeddings')) === PAIRS);
    expect(await count('dead_letters')).toBe(0);
    expect((await second.request('GET', '/api/v1/circuit-breakers/openai')).body.state).toBe('closed');
  });
});
