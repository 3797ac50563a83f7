import { embeddingText } from '../../src/common/qa-content';
import { countTokens } from '../../src/embeddings/tokenizer';
import { MigrationService } from '../../src/model-migration/migration.service';
import type { ModelMigrationEntity } from '../../src/model-migration/model-migration.entity';
import { EmbeddingQueue } from '../../src/queue/embedding-queue.service';
import { Reconciler } from '../../src/queue/reconciler.service';
import { waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

const SMALL = 'text-embedding-3-small';
const LARGE = 'text-embedding-3-large';
const ADA = 'text-embedding-ada-002';
const PAIRS = 300;

/**
 * The migration's seed cases, on real Postgres and Redis with the SDK against the fake
 * provider. One app (all roles) and one knowledge base of 300 pairs embedded under
 * text-embedding-3-small; each test leaves 3-small active and the other models empty.
 */
describe('embedding model migration', () => {
  // A window of two batches: with the provider's latency fixed, a migration takes several rounds.
  const t = useTestApp({ env: { MIGRATION_TICK_MS: '100', MIGRATION_WINDOW_BATCHES: '2' } });
  let migrations: MigrationService;

  const count = (sql: string, params: unknown[] = []) => countRows(t.db, sql, params);
  const modelId = async (name: string) => count(`SELECT id FROM embedding_models WHERE name = $1`, [name]);
  const activeModel = async () => (await t.db.query(`SELECT name FROM embedding_models WHERE is_active`))[0].name as string;
  const settled = (id: string, state: ModelMigrationEntity['state']) =>
    waitFor(async () => {
      const migration = await migrations.get(id);
      return migration.state === state ? migration : null;
    }, 60_000);
  const cleanedUp = async (id: string) => {
    await migrations.cleanup(id);
    await waitFor(async () => (await migrations.get(id)).cleanedAt !== null, 30_000);
  };

  beforeAll(async () => {
    migrations = t.app.get(MigrationService);
    const items = Array.from({ length: PAIRS }, (_, i) => ({
      question: `How do I configure feature ${i} of module ${i % 17}?`,
      answer: `Open settings, section ${i % 23}, and switch feature ${i} on.`,
      category: `c${i % 4}`,
    }));
    expect((await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } })).status).toBe(201);
    const small = await modelId(SMALL);
    await waitFor(async () => (await count(`SELECT count(*) FROM embeddings WHERE model_id = $1`, [small])) === PAIRS, 60_000);
  });

  afterEach(() => t.fake.reset());

  it('identifies the pairs still on the old model or missing the new one', async () => {
    const [small, ada] = [await modelId(SMALL), await modelId(ADA)];
    const ids: string[] = (await t.db.query(`SELECT id FROM qa_pairs ORDER BY id`)).map((r: { id: string }) => r.id);
    const migrated = ids.slice(0, 100);
    const stale = ids.slice(100, 150);
    // Already under ada-002 with the current content; under ada-002 but for older content.
    await t.db.query(
      `INSERT INTO embeddings (qa_pair_id, model_id, content_hash, embedding, tokens)
       SELECT qa_pair_id, $2, content_hash, embedding, tokens FROM embeddings WHERE model_id = $1 AND qa_pair_id = ANY($3::uuid[])`,
      [small, ada, migrated],
    );
    await t.db.query(
      `INSERT INTO embeddings (qa_pair_id, model_id, content_hash, embedding, tokens)
       SELECT qa_pair_id, $2, 'an-older-version', embedding, tokens FROM embeddings WHERE model_id = $1 AND qa_pair_id = ANY($3::uuid[])`,
      [small, ada, stale],
    );
    // Written without the API, so embedded under no model at all.
    const bare: string[] = (
      await t.db.query(
        `INSERT INTO qa_pairs (question, answer, category, content_hash)
         SELECT 'Bare question ' || g, 'Bare answer ' || g, 'bare', md5('bare' || g) FROM generate_series(1, 20) g RETURNING id`,
      )
    ).map((r: { id: string }) => r.id);

    const found: Array<{ qaPairId: string; onSource: boolean; staleTarget: boolean }> = [];
    let after: string | null = null;
    for (;;) {
      const page = await migrations.pairsToMigrate(SMALL, ADA, after, 64);
      found.push(...page);
      if (page.length < 64) break;
      after = page[page.length - 1].qaPairId;
    }
    const expected = [...ids.slice(100), ...bare].sort();
    expect(found.map((p) => p.qaPairId)).toEqual(expected);
    expect(
      found
        .filter((p) => p.staleTarget)
        .map((p) => p.qaPairId)
        .sort(),
    ).toEqual([...stale].sort());
    expect(
      found
        .filter((p) => !p.onSource)
        .map((p) => p.qaPairId)
        .sort(),
    ).toEqual([...bare].sort());

    const texts: Array<{ question: string; answer: string }> = await t.db.query(`SELECT question, answer FROM qa_pairs WHERE id = ANY($1::uuid[])`, [
      expected,
    ]);
    const tokens = texts.reduce((sum, t) => sum + countTokens(embeddingText(t.question, t.answer)), 0);
    const estimate = await migrations.estimate(SMALL, ADA);
    expect(estimate).toMatchObject({ pairs: expected.length, tokens, pairsWithStoredTokenCounts: expected.length - bare.length });
    // ada-002 costs $0.10 per million tokens.
    expect(Number(estimate.costUsd)).toBeCloseTo((tokens * 0.1) / 1e6, 12);

    await t.db.query(`DELETE FROM embeddings WHERE model_id = $1`, [ada]);
    await t.db.query(`DELETE FROM qa_pairs WHERE id = ANY($1::uuid[])`, [bare]);
  });

  it('batch-regenerates every pair with the new model (3072 dimensions, halfvec index)', async () => {
    const large = await modelId(LARGE);
    const before = t.fake.stats().byModel[LARGE]?.requests ?? 0;
    const started = await migrations.start(SMALL, LARGE, { batchSize: 50, autoCutover: false });
    const ready = await settled(started.id, 'ready');

    expect(ready).toMatchObject({ total: PAIRS, completed: PAIRS, failed: 0 });
    expect(await activeModel()).toBe(SMALL);
    const [row] = await t.db.query(
      `SELECT count(*) AS n, min(vector_dims(e.embedding)) AS dims, bool_and(e.content_hash = q.content_hash) AS current
       FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id WHERE e.model_id = $1`,
      [large],
    );
    expect({ n: Number(row.n), dims: row.dims, current: row.current }).toEqual({ n: PAIRS, dims: 3072, current: true });
    // Batched: far fewer provider calls than pairs, and each pair paid for once, as migration spend.
    expect((t.fake.stats().byModel[LARGE]?.requests ?? 0) - before).toBeLessThan(PAIRS / 10);
    const ledger = await t.db.query(
      `SELECT qa_pair_id, count(*) AS n FROM usage_ledger WHERE model_id = $1 AND purpose = 'migration' GROUP BY qa_pair_id`,
      [large],
    );
    expect(ledger).toHaveLength(PAIRS);
    expect(ledger.every((r: { n: string }) => Number(r.n) === 1)).toBe(true);
    expect(ready.comparison).toMatchObject({ k: 10, targetCoverage: 1 });
    expect(ready.comparison!.sampleSize).toBeGreaterThan(0);

    await migrations.cancel(started.id);
    await cleanedUp(started.id);
    expect(await count(`SELECT count(*) FROM embeddings WHERE model_id = $1`, [large])).toBe(0);
  });

  it('preserves QA pairs: every row byte-identical before, after cutover and after rollback', async () => {
    const snapshot = async () =>
      (await t.db.query(`SELECT id, row_to_json(q)::text AS row FROM qa_pairs q ORDER BY id`)).map((r: { row: string }) => r.row).join('\n');
    const original = await snapshot();

    const started = await migrations.start(SMALL, ADA, { batchSize: 64 });
    await settled(started.id, 'cut_over');
    expect(await activeModel()).toBe(ADA);
    expect(await snapshot()).toBe(original);

    await migrations.rollback(started.id);
    expect(await activeModel()).toBe(SMALL);
    expect(await snapshot()).toBe(original);
    await cleanedUp(started.id);
  });

  it('tracks progress: percentages rise to 100', async () => {
    // 300 pairs, 40 in flight, 300 ms a request: at least 2 s, so the once-a-second progress is seen mid-way.
    t.fake.configure({ latency: { ms: 300, jitterMs: 0 } });
    const seen: Array<{ percentage: number; completed: number; state: string; migrationId: string }> = [];
    for await (const progress of migrations.migrateEmbeddings(SMALL, ADA, 20)) seen.push(progress);

    const percentages = seen.map((p) => p.percentage);
    expect(percentages[percentages.length - 1]).toBe(100);
    expect(seen[seen.length - 1]).toMatchObject({ state: 'cut_over', completed: PAIRS });
    expect(percentages.some((p) => p > 0 && p < 100)).toBe(true);
    percentages.slice(1).forEach((p, i) => expect(p).toBeGreaterThanOrEqual(percentages[i]));

    await migrations.rollback(seen[0].migrationId);
    await cleanedUp(seen[0].migrationId);
  });

  it('rolls back on failure: past the failure limit it stops, and search stays on the old model', async () => {
    const large = await modelId(LARGE);
    t.fake.configure({ latency: { ms: 100, jitterMs: 0 } });
    const started = await migrations.start(SMALL, LARGE, { batchSize: 20, maxFailureShare: 0.1 });
    await waitFor(async () => (await count(`SELECT count(*) FROM embeddings WHERE model_id = $1`, [large])) >= 40, 30_000);
    // From now on the provider refuses the model: a permanent error, dead-lettered at once.
    t.fake.configure({ fail: { next: 1_000_000, status: 404, code: 'model_not_found', message: 'The model does not exist' } });

    const failed = await settled(started.id, 'failed');
    expect(failed.reason).toMatch(/pairs failed .* above the limit of 10\.0 %/);
    expect(failed.failed).toBeGreaterThan(0);
    expect(failed.cutOverAt).toBeNull();
    expect(await activeModel()).toBe(SMALL);
    expect((await t.db.query(`SELECT keep_current FROM embedding_models WHERE id = $1`, [large]))[0].keep_current).toBe(false);
    // Its queued jobs were withdrawn (those running at that moment may still finish).
    const queue = t.app.get(EmbeddingQueue);
    await waitFor(async () => (await queue.bull.getWaiting()).every((job) => job.data.model !== LARGE), 10_000);

    t.fake.reset();
    const search = await t.app.request('POST', '/api/v1/search', { body: { query: 'configure feature 7' } });
    expect(search.status).toBe(200);
    expect(search.body.model).toBe(SMALL);
    // The reconciler no longer feeds the failed target.
    expect((await t.app.get(Reconciler).reconcileNow()).byModel[LARGE]).toBeUndefined();
  });
});
