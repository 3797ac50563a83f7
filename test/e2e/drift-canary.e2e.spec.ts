import { TestApp, waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';
import type { DriftCheckDto } from '../../src/compare/dto/drift.dto';

describe('scheduled drift canary', () => {
  // First the pairs, embedded by an app without the canary; then a scheduler with it.
  const t = useTestApp();

  beforeAll(async () => {
    const loader = t.app;
    const items = Array.from({ length: 12 }, (_, i) => ({ question: `Canary question ${i}?`, answer: `Canary answer ${i}.` }));
    const created = await loader.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } });
    const ids: string[] = created.body.items.map((item: { id: string }) => item.id);
    await waitFor(
      async () => Number((await t.db.query(`SELECT count(*) AS n FROM embeddings WHERE qa_pair_id = ANY($1::uuid[])`, [ids]))[0].n) === 12,
    );
    await loader.close();
    t.app = await TestApp.start(t.environment, { DRIFT_CANARY_ENABLED: 'true', DRIFT_CANARY_INTERVAL_MS: '1000', DRIFT_CANARY_SAMPLE_SIZE: '5' });
  });

  const canaryReports = async () =>
    ((await t.app.request('GET', '/api/v1/compare/drift?limit=100')).body.items as DriftCheckDto[]).filter(
      (item) => item.requestedBy === 'canary' && item.report,
    );

  it('checks the active model on its schedule and reports a model changed behind its name', async () => {
    const first = await waitFor(async () => (await canaryReports())[0]);
    expect(first.report).toMatchObject({ model: 'text-embedding-3-small', sampleSize: 5, verdict: 'stable' });

    t.fake.configure({ variants: { 'text-embedding-3-small': 7 } });
    const drifted = await waitFor(async () => (await canaryReports()).find((item) => item.report?.verdict === 'drifted'), 30_000);
    expect(drifted.report).toMatchObject({ sampleSize: 5, belowTolerance: 5 });
    expect(Number((await t.db.query(`SELECT count(*) AS n FROM usage_ledger WHERE purpose = 'drift'`))[0].n)).toBeGreaterThanOrEqual(10);
  });
});
