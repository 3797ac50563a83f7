import { type PrivateRedis, startPrivateRedis } from '../support/private-redis';
import { waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

/** Redis wiped (FLUSHALL) in the middle of a 5,000-pair ingest: the reconciler brings every pair to embedded. */
describe('Redis flushed during an ingest', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  const t = useTestApp({ env: () => ({ REDIS_URL: redis.url, RECONCILE_INTERVAL_MS: '2000' }) });
  afterAll(async () => {
    await redis?.stop();
  });

  const embedded = () => countRows(t.db, `SELECT count(*) AS n FROM embeddings`);

  it('loses nothing', async () => {
    t.fake.configure({ latency: { ms: 100, jitterMs: 0 } });
    for (let chunk = 0; chunk < 5; chunk++) {
      const items = Array.from({ length: 1000 }, (_, i) => ({ question: `Flush test ${chunk}-${i}?`, answer: `Answer ${chunk}-${i}.` }));
      expect((await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } })).status).toBe(201);
    }
    await waitFor(async () => (await embedded()) >= 200, 60_000, 20);
    const keysBefore = await redis.client.dbsize();
    await redis.client.flushall();
    const atFlush = await embedded();
    expect(atFlush).toBeLessThan(5000);
    // Workers recreate a few keys at once (in-flight jobs, breaker, rate budget); the queued jobs are gone.
    expect(await redis.client.dbsize()).toBeLessThan(keysBefore / 2);

    t.fake.configure({ latency: { ms: 0, jitterMs: 0 } });
    await waitFor(async () => (await embedded()) === 5000, 120_000, 250);
    const [row] = await t.db.query(
      `SELECT count(*) AS n FROM qa_pairs q JOIN embeddings e ON e.qa_pair_id = q.id AND e.content_hash = q.content_hash`,
    );
    expect(Number(row.n)).toBe(5000);
    expect(Number((await t.db.query(`SELECT count(*) AS n FROM dead_letters`))[0].n)).toBe(0);
    // Nothing the provider answered is bought again: the jobs re-added after the flush find their pairs embedded or in flight.
    const [twice] = await t.db.query(
      `SELECT count(*)::int AS pairs FROM (SELECT qa_pair_id FROM usage_ledger WHERE purpose = 'ingest' GROUP BY qa_pair_id HAVING count(*) > 1) bought`,
    );
    expect({ boughtTwice: twice.pairs, inputsBilled: t.fake.stats().inputs }).toEqual({ boughtTwice: 0, inputsBilled: 5000 });
  });
});
