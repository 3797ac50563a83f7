import { BatchEmbedder } from '../../src/queue/batch-embedder';
import { createPairsAsJobs } from '../support/batch-jobs';
import { waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

const MODEL = 'text-embedding-3-small';

/**
 * Every paid provider call is in the ledger exactly once, and vectors already paid for are
 * kept: the processor is driven directly (this process has no worker), with real faults in
 * PostgreSQL and at the fake provider.
 */
describe('paid calls: recorded once, vectors kept (real faults)', () => {
  // ~300 tokens per pair and at most 1,000 tokens per request: three pairs per provider call.
  const t = useTestApp({ env: { ROLE: 'api', QUEUE_BATCH_MAX_TOKENS: '1000' } });
  let processor: BatchEmbedder;

  beforeAll(() => {
    processor = t.app.get(BatchEmbedder);
  });

  beforeEach(async () => {
    t.fake.reset();
    // qa_pairs first, as the reconciler's pass locks them: truncating in another order could deadlock with it.
    await t.db.query(`TRUNCATE qa_pairs, embeddings, dead_letters, usage_ledger, provider_calls CASCADE`);
    t.fake.stats(); // stats are cumulative: tests compare before/after
  });

  const answeredInputs = () =>
    t.fake
      .stats()
      .recent.filter((r) => r.status === 200)
      .reduce((sum, r) => sum + r.inputs, 0);
  const answeredTokens = () =>
    t.fake
      .stats()
      .recent.filter((r) => r.status === 200)
      .reduce((sum, r) => sum + r.tokens, 0);
  const ledgerRowsPerPair = async () =>
    (await t.db.query(`SELECT qa_pair_id, count(*)::int AS n FROM usage_ledger GROUP BY qa_pair_id`)) as Array<{ n: number }>;

  it('a ledger write that fails after the provider answered: the spend stays in the ledger once, the retry buys nothing again', async () => {
    const jobs = await createPairsAsJobs(t, MODEL, 'confirm-fails', 9, 150);
    // The write that records the provider's answer fails once (a sequence is not rolled back with the failed statement).
    await t.db.query(`
      CREATE SEQUENCE answered_call_faults;
      CREATE FUNCTION fail_first_answered_call() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('answered_call_faults') = 1 THEN RAISE EXCEPTION 'injected: ledger write failed'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_first_answered_call BEFORE INSERT OR UPDATE ON provider_calls
        FOR EACH ROW WHEN (NEW.reported_tokens IS NOT NULL) EXECUTE FUNCTION fail_first_answered_call();`);
    try {
      const first = await processor.process(MODEL, jobs);
      // What the queue does with failed jobs: run them again.
      const failed = jobs.filter((_, i) => !first[i].ok);
      if (failed.length > 0) await processor.process(MODEL, failed);
    } finally {
      await t.db.query(
        `DROP TRIGGER fail_first_answered_call ON provider_calls; DROP FUNCTION fail_first_answered_call(); DROP SEQUENCE answered_call_faults`,
      );
    }

    expect(await countRows(t.db, `SELECT count(*) FROM embeddings`)).toBe(9);
    // Every pair bought once, and each purchase in the ledger once.
    expect(answeredInputs()).toBe(9);
    expect((await ledgerRowsPerPair()).map((row) => row.n)).toEqual(Array(9).fill(1));
    const [ledger] = await t.db.query(`
      SELECT sum(l.billed_tokens)::int AS tokens, count(DISTINCT l.call_id) FILTER (WHERE c.status = 'unconfirmed')::int AS unconfirmed_calls
      FROM usage_ledger l JOIN provider_calls c ON c.id = l.call_id`);
    expect(ledger).toEqual({ tokens: answeredTokens(), unconfirmed_calls: 1 });
    const today = new Date().toISOString().slice(0, 10);
    const report = await t.app.request('GET', `/api/v1/cost/report?start=${today}&end=${today}`);
    expect(report.body).toMatchObject({ tokens: answeredTokens(), unconfirmedTokens: expect.any(Number) });
    expect(report.body.unconfirmedTokens).toBeGreaterThan(0);
  });

  it("a packed batch whose 2nd call fails keeps the 1st call's vectors; the retry sends only the rest", async () => {
    const jobs = await createPairsAsJobs(t, MODEL, 'second-group-fails', 6, 150);
    t.fake.configure({ latency: { ms: 300, jitterMs: 0 } });
    const running = processor.process(MODEL, jobs);
    // Once the first call is answered, the next request fails (decided after its latency, so it is the second call).
    await waitFor(async () => (t.fake.stats().byStatus['200'] ?? 0) >= 1, 10_000, 5);
    t.fake.configure({ fail: { next: 1, status: 503 } });
    const first = await running;

    expect(first.map((result) => result.ok)).toEqual([true, true, true, false, false, false]);
    expect(await countRows(t.db, `SELECT count(*) FROM embeddings`)).toBe(3);
    expect(await t.db.query(`SELECT status, inputs, error FROM provider_calls ORDER BY created_at`)).toEqual([
      { status: 'confirmed', inputs: 3, error: null },
      { status: 'not_billed', inputs: 3, error: 'provider answered 503' },
    ]);

    t.fake.configure({ latency: { ms: 0, jitterMs: 0 } });
    const retry = await processor.process(MODEL, jobs);
    expect(retry.map((result) => result.ok && result.value.status)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
      'embedded',
      'embedded',
      'embedded',
    ]);
    expect(answeredInputs()).toBe(6);
    expect((await ledgerRowsPerPair()).map((row) => row.n)).toEqual(Array(6).fill(1));
    expect(await countRows(t.db, `SELECT count(*) FROM provider_calls WHERE status = 'unconfirmed'`)).toBe(0);
  });
});
