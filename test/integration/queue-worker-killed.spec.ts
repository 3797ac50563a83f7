import type { DataSource } from 'typeorm';
import type { FakeOpenAI } from '../../tools/fake-openai';
import { fakeProviderEnv, startFakeProvider } from '../support/fake-provider';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';
import { createTestEnvironment, destroyTestEnvironment, openDatabase, TestApp, type TestEnvironment, waitFor } from '../support/test-app';

/** A worker process SIGKILLed while its batches are at the provider: every pair still ends embedded, once. */
describe('worker killed mid-batch', () => {
  let fake: FakeOpenAI;
  let environment: TestEnvironment;
  let api: TestApp;
  let db: DataSource;
  const workers: ServiceProcess[] = [];

  beforeAll(async () => {
    fake = await startFakeProvider();
    environment = await createTestEnvironment({
      ...fakeProviderEnv(fake),
      QUEUE_LOCK_DURATION_MS: '2000',
      QUEUE_STALLED_INTERVAL_MS: '1000',
      QUEUE_BATCH_MAX_INPUTS: '50',
      QUEUE_CONCURRENCY: '100',
    });
    api = await TestApp.start(environment, { ROLE: 'api' });
    db = await openDatabase(environment.databaseUrl);
  });

  afterAll(async () => {
    for (const worker of workers) await worker.kill();
    await db?.destroy();
    await api?.close();
    await fake?.close();
    if (environment) await destroyTestEnvironment(environment);
  });

  it('recovers the killed worker\'s jobs through the stall check; nothing is lost or embedded twice', async () => {
    fake.configure({ latency: { ms: 1500, jitterMs: 0 } });
    const items = Array.from({ length: 300 }, (_, i) => ({ question: `Survives a crash ${i}?`, answer: `Yes, pair ${i} does.` }));
    const created = await api.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } });
    expect(created.status).toBe(201);

    const first = await startServiceProcess({ ...environment.env, ROLE: 'worker' });
    workers.push(first);
    // Kill it while batches are at the provider, i.e. after it took jobs but before it could write them.
    await waitFor(async () => fake.stats().inFlight > 0, 30_000, 10);
    await first.kill();
    const embeddedBeforeRestart = Number((await db.query(`SELECT count(*) AS n FROM embeddings`))[0].n);
    expect(embeddedBeforeRestart).toBeLessThan(300);

    fake.configure({ latency: { ms: 0, jitterMs: 0 } });
    workers.push(await startServiceProcess({ ...environment.env, ROLE: 'worker' }));
    await waitFor(async () => Number((await db.query(`SELECT count(*) AS n FROM embeddings`))[0].n) === 300, 90_000, 200);

    const [rows] = await db.query(`
      SELECT count(*) AS pairs,
             count(*) FILTER (WHERE e.content_hash = q.content_hash) AS current,
             max(l.n) AS max_ledger_rows, min(l.n) AS min_ledger_rows
      FROM qa_pairs q
      JOIN embeddings e ON e.qa_pair_id = q.id
      JOIN (SELECT qa_pair_id, count(*) AS n FROM usage_ledger GROUP BY qa_pair_id) l ON l.qa_pair_id = q.id`);
    expect(Number(rows.pairs)).toBe(300);
    expect(Number(rows.current)).toBe(300);
    // Work that reached the provider but died with the worker was never answered, so never recorded:
    // every pair was embedded and paid for exactly once.
    expect(Number(rows.max_ledger_rows)).toBe(1);
    expect(Number(rows.min_ledger_rows)).toBe(1);
    expect(Number((await db.query(`SELECT count(*) AS n FROM dead_letters`))[0].n)).toBe(0);
  });
});
