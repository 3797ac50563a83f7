import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import type { FakeOpenAI } from '../../tools/fake-openai';
import { fakeProviderEnv, startFakeProvider } from '../support/fake-provider';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis';
import { createTestEnvironment, destroyTestEnvironment, openDatabase, TestApp, type TestEnvironment, waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

/**
 * Redis and PostgreSQL restarted in the middle of an ingest (private servers, so other
 * test files are not disturbed): the API answers 503 meanwhile, never 500, and once they
 * are back every pair ends embedded.
 */
describe('dependencies restarted mid-ingest', () => {
  let fake: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeProvider();
  });

  afterAll(async () => {
    await fake?.close();
  });

  const bulk = (app: TestApp, label: string, count: number) =>
    app.request('POST', '/api/v1/qa-pairs/bulk', {
      body: { items: Array.from({ length: count }, (_, i) => ({ question: `${label} question ${i}?`, answer: `${label} answer ${i}.` })) },
    });

  describe('Redis', () => {
    let redis: PrivateRedis;
    beforeAll(async () => {
      redis = await startPrivateRedis();
    });
    const t = useTestApp({ env: () => ({ REDIS_URL: redis.url, RECONCILE_INTERVAL_MS: '2000' }) });
    afterAll(async () => {
      await redis?.stop();
    });

    it('keeps accepting pairs while Redis is down and embeds everything once it is back', async () => {
      t.fake.configure({ latency: { ms: 150, jitterMs: 0 } });
      expect((await bulk(t.app, 'redis', 300)).status).toBe(201);
      await waitFor(async () => Number((await t.db.query(`SELECT count(*) AS n FROM embeddings`))[0].n) >= 30, 60_000, 20);
      await redis.kill();

      const created = await t.app.request('POST', '/api/v1/qa-pairs', {
        body: { question: 'Created while Redis is down?', answer: 'Stored anyway.' },
      });
      expect(created.status).toBe(201);
      expect(created.body.embedding.state).toBe('pending');
      // PostgreSQL still answers: search falls back to the lexical index instead of a 503.
      const search = await t.app.request('POST', '/api/v1/search', { body: { query: 'redis question 7' } });
      expect(search.status).toBe(200);
      expect(search.body.mode).toBe('lexical');
      expect(['dependency_unavailable', 'provider_timeout']).toContain(search.body.degradedReason);
      expect(search.body.results.length).toBeGreaterThan(0);
      expect((await t.app.request('GET', '/health', { key: null })).status).toBe(503);

      await redis.start();
      t.fake.configure({ latency: { ms: 0, jitterMs: 0 } });
      await waitFor(async () => Number((await t.db.query(`SELECT count(*) AS n FROM embeddings`))[0].n) === 301, 120_000, 250);
      expect((await t.app.request('GET', `/api/v1/qa-pairs/${created.body.id}`)).body.embedding.state).toBe('embedded');
      expect((await t.app.request('GET', '/health', { key: null })).status).toBe(200);
    });
  });

  describe('PostgreSQL', () => {
    let postgres: PrivatePostgres;
    let environment: TestEnvironment;
    let app: TestApp;
    let db: DataSource;

    beforeAll(async () => {
      postgres = await startPrivatePostgres();
      const admin = new Client({ connectionString: postgres.url('postgres') });
      await admin.connect();
      await admin.query('CREATE DATABASE restarts');
      await admin.end();
      const migrator = await new DataSource(dataSourceOptions({ url: postgres.url('restarts'), poolSize: 1, statementTimeoutMs: 0 })).initialize();
      await migrator.runMigrations();
      await migrator.destroy();
      environment = await createTestEnvironment({ ...fakeProviderEnv(fake), RECONCILE_INTERVAL_MS: '2000' });
      app = await TestApp.start(environment, { DATABASE_URL: postgres.url('restarts') });
      db = await openDatabase(postgres.url('restarts'));
    });

    afterAll(async () => {
      await db?.destroy().catch(() => undefined);
      await app?.close().catch(() => undefined);
      postgres?.destroy();
      if (environment) await destroyTestEnvironment(environment);
    });

    const count = (sql: string) => countRows(db, sql);

    it('answers 503 while PostgreSQL is down and loses nothing', async () => {
      fake.configure({ latency: { ms: 150, jitterMs: 0 } });
      expect((await bulk(app, 'postgres', 300)).status).toBe(201);
      await waitFor(async () => (await count(`SELECT count(*) AS n FROM embeddings`)) >= 30, 60_000, 20);
      postgres.stop();

      const list = await app.request('GET', '/api/v1/qa-pairs');
      expect(list.status).toBe(503);
      expect(list.body.message).toMatch(/PostgreSQL or Redis is unreachable/);
      expect((await app.request('GET', '/health', { key: null })).body).toMatchObject({
        status: 'unavailable',
        postgres: { ok: false },
        redis: { ok: true },
      });
      await new Promise((resolve) => setTimeout(resolve, 2_000));

      postgres.start();
      fake.configure({ latency: { ms: 0, jitterMs: 0 } });
      await waitFor(async () => (await count(`SELECT count(*) AS n FROM embeddings`).catch(() => 0)) === 300, 120_000, 250);
      expect(await count(`SELECT count(*) AS n FROM qa_pairs`)).toBe(300);
      expect((await app.request('GET', '/api/v1/qa-pairs?limit=1')).status).toBe(200);
    });
  });
});
