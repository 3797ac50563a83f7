import { waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

/** A worker process SIGKILLed while its batches are at the provider: every pair still ends embedded, once. */
describe('worker killed mid-batch', () => {
  const t = useTestApp({
    env: {
      ROLE: 'api',
      QUEUE_LOCK_DURATION_MS: '2000',
      QUEUE_STALLED_INTERVAL_MS: '1000',
      QUEUE_BATCH_MAX_INPUTS: '50',
      QUEUE_CONCURRENCY: '100',
    },
  });

  it('recovers the killed worker\'s jobs through the stall check; nothing is lost or embedded twice', async () => {
    t.fake.configure({ latency: { ms: 1500, jitterMs: 0 } });
    const items = Array.from({ length: 300 }, (_, i) => ({ question: `Survives a crash ${i}?`, answer: `Yes, pair ${i} does.` }));
    const created = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } });
    expect(created.status).toBe(201);

    const first = await t.startProcess();
    // Kill it while batches are at the provider, i.e. after it took jobs but before it could write them.
    await waitFor(async () => t.fake.stats().inFlight > 0, 30_000, 10);
    await first.kill();
    const embeddedBeforeRestart = Number((await t.db.query(`SELECT count(*) AS n FROM embeddings`))[0].n);
    expect(embeddedBeforeRestart).toBeLessThan(300);

    t.fake.configure({ latency: { ms: 0, jitterMs: 0 } });
    await t.startProcess();
    await waitFor(async () => Number((await t.db.query(`SELECT count(*) AS n FROM embeddings`))[0].n) === 300, 90_000, 200);

    const [rows] = await t.db.query(`
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
    expect(Number((await t.db.query(`SELECT count(*) AS n FROM dead_letters`))[0].n)).toBe(0);
  });
});
