import { isDependencyDown } from '../../src/common/dependency-errors';
import { ProviderError } from '../../src/embeddings/providers/provider-error';
import { BatchEmbedder } from '../../src/queue/batch-embedder';
import { createPairsAsJobs, ingestJobs } from '../support/batch-jobs';
import { countRows, useTestApp } from '../support/test-context';

const MODEL = 'text-embedding-3-small';

/**
 * PostgreSQL going away mid-batch (SQLSTATE 57P01, what a restart sends) is an outage, not a
 * failure of the work: what the provider already answered is kept rather than bought again,
 * and whatever cannot be done is handed back as the dependency error (the runner then waits
 * without spending an attempt), never as a provider failure that spends one.
 */
describe('paid calls while PostgreSQL goes away (real statements failing with 57P01)', () => {
  const t = useTestApp({ env: { ROLE: 'api', QUEUE_BATCH_MAX_TOKENS: '1000' } });
  let processor: BatchEmbedder;

  beforeAll(() => {
    processor = t.app.get(BatchEmbedder);
  });

  beforeEach(async () => {
    t.fake.reset();
    // qa_pairs first, as the reconciler's pass locks them: truncating in another order could deadlock with it.
    await t.db.query(`TRUNCATE qa_pairs, embeddings, dead_letters, usage_ledger, provider_calls CASCADE`);
    t.fake.stats();
  });

  /** Makes the first `times` statements writing `table` (matching `when`) fail as if the server shut down. */
  async function failAsShutdown(table: string, times: number, when = 'true'): Promise<() => Promise<void>> {
    await t.db.query(`
      CREATE SEQUENCE shutdown_faults;
      CREATE FUNCTION fail_as_shutdown() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('shutdown_faults') <= ${times} THEN
          RAISE EXCEPTION 'terminating connection due to administrator command' USING ERRCODE = '57P01';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_as_shutdown BEFORE INSERT ON ${table} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION fail_as_shutdown();`);
    return async () => {
      await t.db.query(`DROP TRIGGER fail_as_shutdown ON ${table}; DROP FUNCTION fail_as_shutdown(); DROP SEQUENCE shutdown_faults`);
    };
  }

  const answeredInputs = () =>
    t.fake
      .stats()
      .recent.filter((r) => r.status === 200)
      .reduce((sum, r) => sum + r.inputs, 0);

  it('vectors answered while the store is briefly down are kept, not bought again', async () => {
    const jobs = await createPairsAsJobs(t, MODEL, 'store-down', 6, 150);
    const restore = await failAsShutdown('embeddings', 2);
    let first;
    try {
      first = await processor.process(MODEL, jobs);
    } finally {
      await restore();
    }
    // What the queue does with failed jobs: run them again.
    const failed = jobs.filter((_, i) => !first[i].ok);
    if (failed.length > 0) await processor.process(MODEL, failed);

    expect(await countRows(t.db, `SELECT count(*) FROM embeddings`)).toBe(6);
    expect(answeredInputs()).toBe(6);
  });

  it('a ledger that cannot record the call: the jobs fail with the outage (no attempt spent), not as a provider failure', async () => {
    const jobs = await createPairsAsJobs(t, MODEL, 'ledger-down', 3, 150);
    // Every attempt to record a call before sending fails for the whole test.
    const restore = await failAsShutdown('provider_calls', 1_000);
    let results;
    try {
      results = await processor.process(MODEL, jobs);
    } finally {
      await restore();
    }
    expect(t.fake.stats().recent).toHaveLength(0); // nothing was sent unrecorded
    const errors = results.map((r) => (r.ok ? null : r.error));
    expect(errors.map((e) => ({ provider: e instanceof ProviderError, dependencyDown: isDependencyDown(e) }))).toEqual(
      Array(3).fill({ provider: false, dependencyDown: true }),
    );
  });
});

describe('a call the guard could not admit because Redis is down', () => {
  const t = useTestApp({ env: { ROLE: 'api' } });

  it('is settled as not billed, not left as unconfirmed spend (every retry during the outage would add one)', async () => {
    const { ProviderGuards } = await import('../../src/circuit-breaker/provider-guards');
    const guard = t.app.get(ProviderGuards).get('openai')!;
    // What ioredis throws when the admission script cannot reach Redis: before anything is sent.
    jest.spyOn(guard, 'call').mockRejectedValueOnce(new Error('Connection is closed.'));
    const items = [{ question: 'Redis down question?', answer: 'Redis down answer.' }];
    expect((await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } })).status).toBe(201);
    const [row] = await t.db.query(`SELECT id, content_hash FROM qa_pairs`);
    await t.db.query(`TRUNCATE usage_ledger, provider_calls CASCADE`);
    const processor = t.app.get(BatchEmbedder);
    const [result] = await processor.process(MODEL, ingestJobs([row], MODEL));

    expect(result.ok).toBe(false);
    expect(await t.db.query(`SELECT status FROM provider_calls`)).toEqual([{ status: 'not_billed' }]);
  });
});
