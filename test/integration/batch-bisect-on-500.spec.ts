import { ProviderError } from '../../src/embeddings/providers/provider-error';
import { BatchEmbedder } from '../../src/queue/batch-embedder';
import { ProviderProxy } from '../support/provider-proxy';
import { ingestJobs } from '../support/batch-jobs';
import { countRows, useTestApp } from '../support/test-context';

const MODEL = 'text-embedding-3-small';
const POISON = 'POISON-INPUT-7f3a';

/**
 * One input that makes the provider answer 500 (as OpenAI was reported to for some
 * inputs) must fail alone, not charge its neighbours' attempts. A proxy in front of the
 * fake answers 500 to any request holding the marker, whatever the service does to the
 * text, and passes everything else through.
 */
describe('a batch failing with 500 because of one input', () => {
  let proxy: ProviderProxy;
  beforeAll(async () => {
    proxy = await ProviderProxy.start(() => t.fake.url, { failWhen: (body) => body.includes(POISON) });
  });
  afterAll(() => proxy?.close());

  const t = useTestApp({ env: () => ({ ROLE: 'api', OPENAI_BASE_URL: proxy.baseURL }) });

  it('is halved until the culprit fails alone; its neighbours are embedded, the failed calls billed nothing', async () => {
    const items = Array.from({ length: 8 }, (_, i) => ({ question: `Bisect ${i}?`, answer: i === 3 ? `Contains ${POISON}.` : `Plain answer ${i}.` }));
    expect((await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } })).status).toBe(201);
    const rows: Array<{ id: string; content_hash: string }> = await t.db.query(`SELECT id, content_hash FROM qa_pairs ORDER BY question`);
    const jobs = ingestJobs(rows, MODEL);
    proxy.received = 0;

    const results = await t.app.get(BatchEmbedder).process(MODEL, jobs);

    expect(results.map((result) => result.ok)).toEqual([true, true, true, false, true, true, true, true]);
    const failure = results[3];
    expect(!failure.ok && failure.error).toMatchObject({ kind: 'transient', details: { status: 500 } });
    expect(await countRows(t.db, `SELECT count(*) FROM embeddings`)).toBe(7);
    // 8 → 4 | 4 → 2 | 2 → 1 | 1: 1 + 2·log2(8) calls at most; the four that failed billed nothing.
    expect(proxy.received).toBe(7);
    expect(await t.db.query(`SELECT status, count(*)::int AS n FROM provider_calls GROUP BY status ORDER BY status`)).toEqual([
      { status: 'confirmed', n: 3 },
      { status: 'not_billed', n: 4 },
    ]);
  });

  it('during an outage answering 500 to everything, halving stops once the breaker opens: no flood of calls', async () => {
    // qa_pairs first, as the reconciler's pass locks them: truncating in another order could deadlock with it.
    await t.db.query(`TRUNCATE qa_pairs, embeddings, usage_ledger, provider_calls CASCADE`);
    const items = Array.from({ length: 64 }, (_, i) => ({ question: `Outage ${i}?`, answer: `Answer ${i}.` }));
    expect((await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } })).status).toBe(201);
    const rows: Array<{ id: string; content_hash: string }> = await t.db.query(`SELECT id, content_hash FROM qa_pairs`);
    const jobs = ingestJobs(rows, MODEL);
    t.fake.configure({ errors: { rate: 1, status: 500 } });
    proxy.received = 0;

    const results = await t.app.get(BatchEmbedder).process(MODEL, jobs);

    expect(results.every((result) => !result.ok)).toBe(true);
    // A full bisection of 64 would be 127 calls; the breaker (5 failures in a row by default) stops it.
    expect(proxy.received).toBeLessThanOrEqual(t.app.config.breaker.failureThreshold);
    expect(results.some((result) => !result.ok && result.error instanceof ProviderError && result.error.kind === 'unavailable')).toBe(true);
    // Answered 500s and calls the breaker never let out alike: recorded, billed nothing, none left unconfirmed.
    const calls: Array<{ error: string; n: number }> = await t.db.query(
      `SELECT CASE WHEN error LIKE 'not sent:%' THEN 'not sent' ELSE error END AS error, count(*)::int AS n
       FROM provider_calls WHERE status = 'not_billed' GROUP BY 1 ORDER BY 1`,
    );
    expect(calls).toEqual([
      { error: 'not sent', n: expect.any(Number) },
      { error: 'provider answered 500', n: proxy.received },
    ]);
    expect(await countRows(t.db, `SELECT count(*) FROM provider_calls WHERE status <> 'not_billed'`)).toBe(0);
  });
});
