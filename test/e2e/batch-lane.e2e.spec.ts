import type { DataSource } from 'typeorm';
import { ingestPairs, migrationPairs, startMigration, untilState } from '../support/migration-test-helpers';
import { ADMIN_KEY, TestApp, waitFor } from '../support/test-app';
import { countRows, type TestContext, useTestApp } from '../support/test-context';
import { BatchPoller } from '../../src/batch-lane/batch-poller';
import { Reconciler } from '../../src/queue/reconciler.service';

const SMALL = 'text-embedding-3-small';
const ADA = 'text-embedding-ada-002';
/** ada-002's registered price is 0.10 per 1M tokens; its batch price, with none set, is half. */
const ADA_BATCH_PRICE = 0.05;

const BATCH_ENV = { MIGRATION_TICK_MS: '100', BATCH_LANE_POLL_MS: '100', BATCH_LANE_MAX_IN_FLIGHT: '2', MIGRATION_MAX_FAILURE_SHARE: '0.5' };

async function adaEmbeddings(db: DataSource): Promise<number> {
  return countRows(db, `SELECT count(*) FROM embeddings e JOIN embedding_models m ON m.id = e.model_id WHERE m.name = $1`, [ADA]);
}

/** Ledger rows of batch-lane calls: tokens billed, cost, calls, and spend still unconfirmed. */
async function batchLedger(db: DataSource) {
  const [row]: Array<{ tokens: string; cost: string; calls: string; unconfirmed: string }> = await db.query(
    `SELECT coalesce(sum(l.billed_tokens), 0) AS tokens, coalesce(sum(l.cost_usd), 0) AS cost, count(DISTINCT c.id) AS calls,
            count(*) FILTER (WHERE c.status = 'unconfirmed') AS unconfirmed
     FROM provider_calls c JOIN usage_ledger l ON l.call_id = c.id WHERE c.lane = 'batch'`,
  );
  return { tokens: Number(row.tokens), cost: Number(row.cost), calls: Number(row.calls), unconfirmed: Number(row.unconfirmed) };
}

/** The ledger holds exactly what the fake billed through batches, at the batch price, nothing left unconfirmed. */
async function expectBilledOnceAtBatchPrice(t: TestContext): Promise<void> {
  const ledger = await batchLedger(t.db);
  expect(ledger.unconfirmed).toBe(0);
  expect(ledger.tokens).toBe(t.fake.stats().batches.tokens);
  expect(ledger.cost).toBeCloseTo((ledger.tokens * ADA_BATCH_PRICE) / 1e6, 9);
}

describe('batch lane: a migration through the Batch API', () => {
  const PAIRS = 2_000;
  const t = useTestApp({ env: { ...BATCH_ENV, BATCH_LANE_MAX_REQUESTS: '500' } });

  beforeAll(() => ingestPairs(t.app, t.db, migrationPairs(PAIRS, 'batch'), SMALL));

  it('estimates both lanes, migrates every pair on the batch lane at half the price, and spends no live tokens on the backfill', async () => {
    const estimate = (await t.app.request('POST', '/api/v1/migrations/estimate', { body: { fromModel: SMALL, toModel: ADA } })).body;
    expect(estimate.lanes.batch).toMatchObject({ pricePerMillionTokens: String(ADA_BATCH_PRICE), batches: 4 });
    expect(Number(estimate.lanes.batch.costUsd)).toBeCloseTo(Number(estimate.lanes.live.costUsd) / 2, 12);

    t.fake.configure({ batches: { completionMs: 300 } });
    const liveBefore = t.fake.stats().byModel[ADA]?.requests ?? 0;
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, lane: 'batch' });
    // Live traffic goes on meanwhile.
    const search = await t.app.request('POST', '/api/v1/search', { body: { query: 'how do I set up integration 12' } });
    expect(search).toMatchObject({ status: 200, body: { model: SMALL, mode: 'vector' } });
    expect(await untilState(t.app, id, 'cut_over', 120_000)).toBe(true);

    const migration = (await t.app.request('GET', `/api/v1/migrations/${id}`)).body;
    expect(migration.lane).toBe('batch');
    expect(migration.batches.length).toBeGreaterThanOrEqual(4);
    expect(migration.batches.every((batch: { importedAt: string | null }) => batch.importedAt !== null)).toBe(true);
    expect(migration.batches.reduce((sum: number, batch: { embedded: number }) => sum + batch.embedded, 0)).toBe(PAIRS);
    expect(await adaEmbeddings(t.db)).toBe(PAIRS);
    expect(t.fake.stats().byModel[ADA]?.requests ?? 0).toBe(liveBefore);
    await expectBilledOnceAtBatchPrice(t);

    // Reports break the spend down by lane.
    const today = new Date().toISOString().slice(0, 10);
    const report = (await t.app.request('GET', `/api/v1/cost/report?start=${today}&end=${today}`)).body;
    const lane = (name: string) => report.byLane.find((row: { lane: string }) => row.lane === name);
    expect(Number(lane('batch').costUsd)).toBeCloseTo((await batchLedger(t.db)).cost, 6);
    expect(Number(lane('batch').unconfirmedCostUsd)).toBe(0);
    expect(Number(lane('live').costUsd)).toBeGreaterThan(0);
  });

  it('a batch price of its own: set through the price API, it prices later batches and rewrites nothing', async () => {
    const set = await t.app.request('POST', '/api/v1/cost/prices', {
      body: { model: ADA, lane: 'batch', pricePerMillionTokens: '0.04' },
      key: ADMIN_KEY,
    });
    expect(set).toMatchObject({ status: 201, body: { model: ADA, lane: 'batch', pricePerMillionTokens: '0.040000' } });
    const history = (await t.app.request('GET', '/api/v1/cost/prices')).body.find((row: { model: string }) => row.model === ADA);
    expect(history).toMatchObject({ currentPricePerMillionTokens: '0.100000', currentBatchPricePerMillionTokens: '0.040000' });
    const estimate = (await t.app.request('POST', '/api/v1/migrations/estimate', { body: { fromModel: ADA, toModel: SMALL } })).body;
    expect(estimate.lanes.batch.pricePerMillionTokens).toBe('0.01');
    // Batches already billed keep the price of their time.
    expect((await batchLedger(t.db)).cost).toBeCloseTo(((await batchLedger(t.db)).tokens * ADA_BATCH_PRICE) / 1e6, 9);
  });

  it('refuses the batch lane for a model that has none, naming the field', async () => {
    const response = await t.app.request('POST', '/api/v1/migrations', {
      body: { fromModel: ADA, toModel: 'offline-hashing-v1', lane: 'batch' },
      key: ADMIN_KEY,
    });
    expect(response).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^lane: model offline-hashing-v1 has no batch lane/) } });
    const bad = await t.app.request('POST', '/api/v1/migrations', { body: { fromModel: ADA, toModel: SMALL, lane: 'slow' }, key: ADMIN_KEY });
    expect(bad).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^lane: /) } });
  });
});

describe('batch lane: faults', () => {
  const PAIRS = 600;
  const MAX_ATTEMPTS = 3;
  const t = useTestApp({ env: { ...BATCH_ENV, BATCH_LANE_MAX_REQUESTS: '200', QUEUE_MAX_ATTEMPTS: String(MAX_ATTEMPTS) } });

  beforeAll(() => ingestPairs(t.app, t.db, migrationPairs(PAIRS, 'faults'), SMALL));
  afterEach(async () => {
    // Back to the source with the target's vectors gone, for the next test. The fake's counters
    // are kept (only its faults go back), so they stay comparable with the ledger's totals.
    const [last] = (await t.app.request('GET', '/api/v1/migrations?limit=1')).body.items;
    if (last && ['running', 'paused', 'ready'].includes(last.state))
      await t.app.request('POST', `/api/v1/migrations/${last.id}/cancel`, { key: ADMIN_KEY });
    if (last?.state === 'cut_over')
      expect((await t.app.request('POST', `/api/v1/migrations/${last.id}/rollback`, { key: ADMIN_KEY })).status).toBe(200);
    if (last) {
      await waitFor(
        async () => (await t.app.request('POST', `/api/v1/migrations/${last.id}/cleanup`, { key: ADMIN_KEY })).status === 202,
        30_000,
        100,
      );
      await waitFor(async () => (await t.app.request('GET', `/api/v1/migrations/${last.id}`)).body.cleanedAt !== null, 60_000, 100);
    }
    await t.db.query(`DELETE FROM dead_letters`);
    t.fake.configure({ batches: { completionMs: 200, failValidation: 0, expire: 0, expireAtShare: 0.5, lineErrorEvery: 0, lineErrorStatus: 400 } });
  });

  it('an expired batch imports its partial output and sends the rest to a new batch; billed once', async () => {
    t.fake.configure({ batches: { completionMs: 200, expire: 1, expireAtShare: 0.5 } });
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, lane: 'batch' });
    expect(await untilState(t.app, id, 'cut_over', 120_000)).toBe(true);
    const { batches } = (await t.app.request('GET', `/api/v1/migrations/${id}`)).body;
    const expired = batches.find((batch: { state: string }) => batch.state === 'expired');
    expect(expired).toMatchObject({ requests: 200, embedded: 100, sentBack: 100 });
    expect(await adaEmbeddings(t.db)).toBe(PAIRS);
    await expectBilledOnceAtBatchPrice(t);
  });

  it('a batch that fails validation bills nothing; its pairs go to a later batch', async () => {
    t.fake.configure({ batches: { completionMs: 100, failValidation: 1 } });
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, lane: 'batch' });
    expect(await untilState(t.app, id, 'cut_over', 120_000)).toBe(true);
    const { batches } = (await t.app.request('GET', `/api/v1/migrations/${id}`)).body;
    expect(batches[0]).toMatchObject({ state: 'failed', embedded: 0, sentBack: 200, error: expect.stringMatching(/told to fail/) });
    expect(await adaEmbeddings(t.db)).toBe(PAIRS);
    await expectBilledOnceAtBatchPrice(t);
  });

  it('per-line errors: permanent ones are dead-lettered with the reason, transient ones go to a new batch', async () => {
    t.fake.configure({ batches: { completionMs: 100, lineErrorEvery: 50, lineErrorStatus: 400 } });
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, lane: 'batch', autoCutover: false });
    expect(await untilState(t.app, id, 'ready', 120_000)).toBe(true);
    const letters: Array<{ error_kind: string; last_error: string }> = await t.db.query(`SELECT error_kind, last_error FROM dead_letters`);
    expect(letters).toHaveLength(PAIRS / 50);
    expect(letters.every((letter) => letter.error_kind === 'permanent' && /batch line failed \(400\)/.test(letter.last_error))).toBe(true);
    expect(await adaEmbeddings(t.db)).toBe(PAIRS - PAIRS / 50);
    await expectBilledOnceAtBatchPrice(t);
    expect((await t.app.request('POST', `/api/v1/migrations/${id}/cancel`, { key: ADMIN_KEY })).status).toBe(200);

    t.fake.configure({ batches: { completionMs: 100, lineErrorEvery: 50, lineErrorStatus: 500 } });
    await t.db.query(`DELETE FROM dead_letters`);
    const second = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, lane: 'batch' });
    expect(await untilState(t.app, second, 'cut_over', 120_000)).toBe(true);
    expect(await countRows(t.db, `SELECT count(*) FROM dead_letters`)).toBe(0);
    expect(await adaEmbeddings(t.db)).toBe(PAIRS);
  });

  it('a pair whose line fails transiently in QUEUE_MAX_ATTEMPTS batches is dead-lettered as exhausted, billed nothing', async () => {
    t.fake.configure({ batches: { completionMs: 50, lineErrorEvery: 1, lineErrorStatus: 500 } });
    const before = (await batchLedger(t.db)).tokens;
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, lane: 'batch', autoCutover: false, maxFailureShare: 1 });
    expect(await untilState(t.app, id, 'ready', 120_000)).toBe(true);
    const letters: Array<{ error_kind: string; last_error: string; attempts: number }> = await t.db.query(
      `SELECT error_kind, last_error, attempts FROM dead_letters`,
    );
    expect(letters).toHaveLength(PAIRS);
    expect(
      letters.every((l) => l.error_kind === 'exhausted' && l.attempts === MAX_ATTEMPTS && /\(500\).*failed in 3 batches/.test(l.last_error)),
    ).toBe(true);
    expect(await adaEmbeddings(t.db)).toBe(0);
    expect((await batchLedger(t.db)).tokens).toBe(before);
  });

  it('an edit during a batch keeps its newer live embedding when the batch imports', async () => {
    t.fake.configure({ batches: { completionMs: 3_000 } });
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, lane: 'batch' });
    await waitFor(
      async () => (await t.app.request('GET', `/api/v1/migrations/${id}`)).body.batches.some((b: { state: string }) => b.state === 'in_progress'),
      20_000,
      50,
    );
    const [pair]: Array<{ id: string }> = await t.db.query(
      `SELECT i.qa_pair_id AS id FROM embedding_batch_items i JOIN embedding_batches b ON b.id = i.batch_id WHERE b.migration_id = $1 LIMIT 1`,
      [id],
    );
    const edited = await t.app.request('PATCH', `/api/v1/qa-pairs/${pair.id}`, { body: { answer: 'An answer edited while its batch ran.' } });
    expect(edited.status).toBe(200);
    expect(await untilState(t.app, id, 'cut_over', 120_000)).toBe(true);
    const [row]: Array<{ current: boolean }> = await t.db.query(
      `SELECT e.content_hash = q.content_hash AS current FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id
       JOIN embedding_models m ON m.id = e.model_id WHERE m.name = $1 AND q.id = $2`,
      [ADA, pair.id],
    );
    expect(row.current).toBe(true);
    await expectBilledOnceAtBatchPrice(t);
  });

  it('cancel mid-batch cancels it at the provider, imports what it finished and bills only that', async () => {
    t.fake.configure({ batches: { completionMs: 4_000 } });
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, lane: 'batch' });
    await waitFor(
      async () => (await t.app.request('GET', `/api/v1/migrations/${id}`)).body.batches.some((b: { state: string }) => b.state === 'in_progress'),
      20_000,
      50,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await t.app.request('POST', `/api/v1/migrations/${id}/cancel`, { key: ADMIN_KEY })).status).toBe(200);
    await waitFor(
      async () => (await t.app.request('GET', `/api/v1/migrations/${id}`)).body.batches.every((b: { importedAt: string | null }) => b.importedAt),
      20_000,
      50,
    );
    const { batches } = (await t.app.request('GET', `/api/v1/migrations/${id}`)).body;
    expect(batches.every((batch: { state: string }) => batch.state === 'cancelled')).toBe(true);
    const embedded = await adaEmbeddings(t.db);
    expect(embedded).toBeGreaterThan(0);
    expect(embedded).toBeLessThan(PAIRS);
    expect(batches.reduce((sum: number, batch: { embedded: number }) => sum + batch.embedded, 0)).toBe(embedded);
    await expectBilledOnceAtBatchPrice(t);
  });

  it('a service restarted while batches are in flight picks them up and imports them once', async () => {
    t.fake.configure({ batches: { completionMs: 2_000 } });
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, lane: 'batch' });
    await waitFor(
      async () => (await t.app.request('GET', `/api/v1/migrations/${id}`)).body.batches.some((b: { state: string }) => b.state === 'in_progress'),
      20_000,
      50,
    );
    await t.app.close();
    t.app = await TestApp.start(t.environment);
    expect(await untilState(t.app, id, 'cut_over', 120_000)).toBe(true);
    expect(await adaEmbeddings(t.db)).toBe(PAIRS);
    await expectBilledOnceAtBatchPrice(t);
  });
});

describe('batch lane: an import run twice at once', () => {
  const PAIRS = 300;
  // The poller never runs by itself here: the test runs it, twice at once, as two schedulers that both lost the lease would.
  const t = useTestApp({ env: { ...BATCH_ENV, BATCH_LANE_POLL_MS: '3600000', BATCH_LANE_MAX_REQUESTS: '100' } });

  beforeAll(() => ingestPairs(t.app, t.db, migrationPairs(PAIRS, 'twice'), SMALL));

  it('stores every vector and bills every line exactly once', async () => {
    t.fake.configure({ batches: { completionMs: 0 } });
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, lane: 'batch' });
    const submitted = async () =>
      (await t.app.request('GET', `/api/v1/migrations/${id}`)).body.batches.filter((b: { state: string }) => b.state !== 'building');
    await waitFor(async () => (await submitted()).length >= 2, 20_000, 50);
    const poller = t.app.get(BatchPoller);
    await Promise.all([poller.pollAll(), poller.pollAll(), poller.pollAll()]);
    // The first two; the migration may have submitted the third meanwhile (nothing polls it here).
    const batches = (await t.app.request('GET', `/api/v1/migrations/${id}`)).body.batches.slice(0, 2);
    expect(batches.map((batch: { embedded: number; importedAt: string | null }) => [batch.embedded, batch.importedAt !== null])).toEqual([
      [100, true],
      [100, true],
    ]);
    expect(await adaEmbeddings(t.db)).toBe(200);
    // The imported two are confirmed at exactly what the fake billed; a third batch, if submitted, is still unconfirmed spend.
    const [confirmed]: Array<{ tokens: string }> = await t.db.query(
      `SELECT coalesce(sum(l.billed_tokens), 0) AS tokens FROM provider_calls c JOIN usage_ledger l ON l.call_id = c.id
       WHERE c.lane = 'batch' AND c.status = 'confirmed'`,
    );
    expect(Number(confirmed.tokens)).toBe(t.fake.stats().batches.tokens);
    expect((await batchLedger(t.db)).unconfirmed).toBeLessThanOrEqual(100);
  });
});

describe('batch lane: a bulk import', () => {
  const t = useTestApp({ env: { ...BATCH_ENV, BATCH_LANE_MAX_REQUESTS: '150' } });

  it('embeds a bulk import through batches, at the batch price, never on the live lane: the reconciler leaves its pairs alone', async () => {
    t.fake.configure({ batches: { completionMs: 1_500 } });
    const items = migrationPairs(400, 'bulk');
    const created = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items, lane: 'batch' } });
    expect(created).toMatchObject({ status: 201, body: { created: 400, notYetQueued: 0, batchBackfillId: expect.any(String) } });
    const backfill = () => t.app.request('GET', `/api/v1/batch-backfills/${created.body.batchBackfillId}`);
    await waitFor(async () => (await backfill()).body.batches.some((b: { state: string }) => b.state === 'in_progress'), 20_000, 50);
    // While its batches run, a reconcile pass queues none of its pairs live.
    const report = await t.app.get(Reconciler).reconcileNow();
    expect(report.byModel[SMALL]).toBe(0);
    await waitFor(async () => (await backfill()).body.state === 'completed', 60_000, 100);
    const done = (await backfill()).body;
    expect(done.batches.reduce((sum: number, batch: { embedded: number }) => sum + batch.embedded, 0)).toBe(400);
    expect(await countRows(t.db, `SELECT count(*) FROM embeddings`)).toBe(400);
    expect(t.fake.stats().byModel[SMALL]?.requests ?? 0).toBe(0);
    const [ledger]: Array<{ tokens: string; cost: string }> = await t.db.query(
      `SELECT sum(l.billed_tokens) AS tokens, sum(l.cost_usd) AS cost FROM provider_calls c JOIN usage_ledger l ON l.call_id = c.id
       WHERE c.lane = 'batch' AND l.purpose = 'ingest' AND c.status = 'confirmed'`,
    );
    expect(Number(ledger.tokens)).toBe(t.fake.stats().batches.tokens);
    // text-embedding-3-small: 0.02 per 1M live, 0.01 on the batch lane.
    expect(Number(ledger.cost)).toBeCloseTo((Number(ledger.tokens) * 0.01) / 1e6, 9);
    expect((await t.app.request('GET', '/api/v1/batch-backfills/9b2f5a8e-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items, lane: 'slow' } })).body.message).toMatch(/^lane: /);
  });
});
