import type { DataSource } from 'typeorm';
import type { FakeOpenAI } from '../../tools/fake-openai';
import { fakeProviderEnv, startFakeProvider } from '../support/fake-provider';
import { createTestEnvironment, destroyTestEnvironment, openDatabase, TestApp, type TestEnvironment, waitFor } from '../support/test-app';

describe('scheduled drift canary', () => {
  let fake: FakeOpenAI;
  let environment: TestEnvironment;
  let app: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    fake = await startFakeProvider();
    environment = await createTestEnvironment(fakeProviderEnv(fake));
    // First the pairs, embedded by an app without the canary; then a scheduler with it.
    const loader = await TestApp.start(environment);
    const items = Array.from({ length: 12 }, (_, i) => ({ question: `Canary question ${i}?`, answer: `Canary answer ${i}.` }));
    const created = await loader.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } });
    const ids: string[] = created.body.items.map((item: { id: string }) => item.id);
    db = await openDatabase(environment.databaseUrl);
    await waitFor(async () => Number((await db.query(`SELECT count(*) AS n FROM embeddings WHERE qa_pair_id = ANY($1::uuid[])`, [ids]))[0].n) === 12);
    await loader.close();
    app = await TestApp.start(environment, { DRIFT_CANARY_ENABLED: 'true', DRIFT_CANARY_INTERVAL_MS: '1000', DRIFT_CANARY_SAMPLE_SIZE: '5' });
  });

  afterAll(async () => {
    await db?.destroy();
    await app?.close();
    await fake?.close();
    if (environment) await destroyTestEnvironment(environment);
  });

  const canaryReports = async () =>
    ((await app.request('GET', '/api/v1/compare/drift?limit=100')).body.items as any[]).filter((item) => item.requestedBy === 'canary' && item.report);

  it('checks the active model on its schedule and reports a model changed behind its name', async () => {
    const first = await waitFor(async () => (await canaryReports())[0]);
    expect(first.report).toMatchObject({ model: 'text-embedding-3-small', sampleSize: 5, verdict: 'stable' });

    fake.configure({ variants: { 'text-embedding-3-small': 7 } });
    const drifted = await waitFor(async () => (await canaryReports()).find((item) => item.report.verdict === 'drifted'), 30_000);
    expect(drifted.report).toMatchObject({ sampleSize: 5, belowTolerance: 5 });
    expect(Number((await db.query(`SELECT count(*) AS n FROM usage_ledger WHERE purpose = 'drift'`))[0].n)).toBeGreaterThanOrEqual(10);
  });
});
