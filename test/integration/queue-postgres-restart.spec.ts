import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import type { FakeOpenAI } from '../../tools/fake-openai';
import { fakeProviderEnv, startFakeProvider } from '../support/fake-provider';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres';
import { createTestEnvironment, destroyTestEnvironment, openDatabase, TestApp, type TestEnvironment, waitFor } from '../support/test-app';
import { countRows } from '../support/test-context';

/**
 * A PostgreSQL blip during an ingest is an outage, not a failure of the work: jobs wait
 * for the database without spending attempts, nothing is dead-lettered, and every pair
 * ends embedded without the reconciler's help (it is off here: RECONCILE_INTERVAL_MS is long).
 */
describe('PostgreSQL restarted while the queue works', () => {
  const PAIRS = 1_000;
  let fake: FakeOpenAI;
  let postgres: PrivatePostgres;
  let environment: TestEnvironment;
  let app: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    fake = await startFakeProvider();
    postgres = await startPrivatePostgres();
    const admin = new Client({ connectionString: postgres.url('postgres') });
    await admin.connect();
    await admin.query('CREATE DATABASE blip');
    await admin.end();
    const migrator = await new DataSource(dataSourceOptions({ url: postgres.url('blip'), poolSize: 1, statementTimeoutMs: 0 })).initialize();
    await migrator.runMigrations();
    await migrator.destroy();
    environment = await createTestEnvironment({
      ...fakeProviderEnv(fake),
      DATABASE_URL: postgres.url('blip'),
      QUEUE_MAX_ATTEMPTS: '3',
      // Paced so the ingest (≈ 50 rounds of two 10-input calls) outlasts the blip: jobs must start while PostgreSQL is down.
      QUEUE_BATCH_MAX_INPUTS: '10',
      QUEUE_CONCURRENCY: '20',
    });
    app = await TestApp.start(environment);
    db = await openDatabase(postgres.url('blip'));
  });

  afterAll(async () => {
    await db?.destroy().catch(() => undefined);
    await app?.close().catch(() => undefined);
    postgres?.destroy();
    await fake?.close();
    if (environment) await destroyTestEnvironment(environment);
  });

  const count = (sql: string) => countRows(db, sql).catch(() => -1);

  it('dead-letters nothing and embeds every pair', async () => {
    fake.configure({ latency: { ms: 100, jitterMs: 50 } });
    const items = Array.from({ length: PAIRS }, (_, i) => ({ question: `Blip question ${i}?`, answer: `Blip answer ${i}.` }));
    for (let start = 0; start < PAIRS; start += 500) {
      expect((await app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items: items.slice(start, start + 500) } })).status).toBe(201);
    }
    await waitFor(async () => (await count(`SELECT count(*) FROM embeddings`)) >= 100, 60_000, 20);
    // The blip hits a running ingest: most of the work is still to do.
    expect(await count(`SELECT count(*) FROM embeddings`)).toBeLessThan(PAIRS - 200);

    postgres.stop();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    postgres.start();

    await waitFor(async () => (await count(`SELECT count(*) FROM embeddings`)) === PAIRS, 90_000, 250).catch(() => undefined);
    const letters = await db.query(`SELECT error_kind, last_error, count(*)::int AS n FROM dead_letters GROUP BY 1, 2`);
    expect({ embedded: await count(`SELECT count(*) FROM embeddings`), letters }).toEqual({ embedded: PAIRS, letters: [] });
    // No job spent an attempt on the blip. (Whether a job was deferred at its start or held at its
    // store depends on where the blip caught it, so neither count is asserted: both lose nothing.)
    const metrics = String((await app.request('GET', '/metrics')).body);
    expect(Number(/embsvc_embedding_jobs_total\{outcome="retry"\} (\d+)/.exec(metrics)?.[1] ?? 0)).toBe(0);
  }, 180_000);
});
