import { waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

/**
 * A worker process SIGKILLed while its batches are at the provider: every pair still ends
 * embedded, once; the provider (which, like OpenAI, finishes and bills a request whose
 * caller died) is paid again only for the calls that were in flight at the kill.
 */
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

  it("recovers the killed worker's jobs through the stall check; nothing is lost, and only calls in flight at the kill are bought again", async () => {
    t.fake.configure({ latency: { ms: 1500, jitterMs: 0 } });
    const items = Array.from({ length: 300 }, (_, i) => ({ question: `Survives a crash ${i}?`, answer: `Yes, pair ${i} does.` }));
    const created = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } });
    expect(created.status).toBe(201);

    const first = await t.startProcess();
    // Kill it while batches are at the provider, i.e. after it took jobs but before it could write them.
    await waitFor(async () => t.fake.stats().inFlight > 0, 30_000, 10);
    await first.kill();
    const deliveredAtKill = t.fake.stats().inputs;
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
    expect(Number((await t.db.query(`SELECT count(*) AS n FROM dead_letters`))[0].n)).toBe(0);

    // What the provider really billed: the killed worker's calls were processed after it died
    // (abandoned: billed, never delivered), so their pairs had to be bought again. Nothing else
    // may be: at most the abandoned inputs plus those answered before the kill (which may have
    // died before being stored).
    const billed = t.fake.stats();
    const boughtAgain = billed.inputs - 300;
    expect(billed.abandoned.inputs).toBeGreaterThan(0);
    expect(boughtAgain).toBeGreaterThanOrEqual(billed.abandoned.inputs);
    expect(boughtAgain).toBeLessThanOrEqual(billed.abandoned.inputs + deliveredAtKill);
    // Every pair is in the ledger, at most twice (a call cut by the kill may stay there as unconfirmed
    // spend, even if it never reached the provider: ledger-worker-killed.spec.ts checks the totals).
    expect(Number(rows.min_ledger_rows)).toBe(1);
    expect(Number(rows.max_ledger_rows)).toBeLessThanOrEqual(2);
  });
});
