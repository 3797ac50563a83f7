import { EmbeddingModelsService } from '../../src/embeddings/embedding-models.service';
import { MigrationJobs } from '../../src/model-migration/migration-jobs';
import { embeddingJobId } from '../../src/queue/embedding-job';
import { EmbeddingQueue } from '../../src/queue/embedding-queue.service';
import { ADMIN_KEY, waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

/** A hard-capped budget, once exceeded, holds back bulk imports (postponed, not failed) but never a live edit. */
describe('budget hard cap', () => {
  const t = useTestApp({ env: { COST_BUDGET_GATE_CACHE_MS: '100' } });

  it('postpones bulk work while the capped budget is exceeded, and embeds live edits', async () => {
    // Spend about 5,000 tokens ($0.0001 at $0.02 per 1M) before the $0.000001 cap exists.
    const spend = await t.app.request('POST', '/api/v1/qa-pairs/bulk', {
      body: { items: Array.from({ length: 50 }, (_, i) => ({ question: `Spend ${i}?`, answer: 'tokens '.repeat(100) })) },
    });
    await waitFor(async () => (await countRows(t.db, `SELECT count(*) FROM embeddings`)) === 50);
    const live = { body: spend.body.items[0] };

    const budget = await t.app.request('POST', '/api/v1/cost/budgets', {
      key: ADMIN_KEY,
      body: { name: 'tiny cap', period: 'daily', limitUsd: '0.000001', hardCap: true },
    });
    expect(budget.status).toBe(201);
    expect(budget.body).toMatchObject({ budget: { hardCap: true }, exceeded: true });
    const budgetId = budget.body.budget.id;

    const bulk = await t.app.request('POST', '/api/v1/qa-pairs/bulk', {
      body: { items: Array.from({ length: 20 }, (_, i) => ({ question: `Capped import ${i}?`, answer: `Held back ${i}.` })) },
    });
    const bulkIds: string[] = bulk.body.items.map((item: { id: string }) => item.id);
    await waitFor(async () => {
      const metrics = String((await t.app.request('GET', '/metrics')).body);
      return /embsvc_embedding_jobs_deferred_total\{reason="budget_cap"\} ([2-9]\d|\d{3,})/.test(metrics);
    });
    expect(await countRows(t.db, `SELECT count(*) FROM embeddings WHERE qa_pair_id = ANY($1::uuid[])`, [bulkIds])).toBe(0);
    expect(await countRows(t.db, `SELECT count(*) FROM dead_letters`)).toBe(0);
    expect((await t.app.request('GET', '/api/v1/queue/stats')).body.jobs.delayed).toBe(20);

    const edit = await t.app.request('PATCH', `/api/v1/qa-pairs/${live.body.id}`, { body: { answer: 'Edited while capped.' } });
    expect(edit.status).toBe(200);
    await waitFor(async () => (await t.app.request('GET', `/api/v1/qa-pairs/${live.body.id}`)).body.embedding.state === 'embedded');

    // Lifting the cap lets the postponed work through once its delay is up (promoted here).
    await t.app.request('PATCH', `/api/v1/cost/budgets/${budgetId}`, { key: ADMIN_KEY, body: { hardCap: false } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { EmbeddingQueue } = await import('../../src/queue/embedding-queue.service');
    for (const job of await t.app.get(EmbeddingQueue).bull.getDelayed()) await job.promote();
    await waitFor(async () => (await countRows(t.db, `SELECT count(*) FROM embeddings WHERE qa_pair_id = ANY($1::uuid[])`, [bulkIds])) === 20);
  });

  it('does not churn postponed work, and pausing or cancelling a migration reaches it', async () => {
    const queue = t.app.get(EmbeddingQueue);
    const budget = await t.app.request('POST', '/api/v1/cost/budgets', {
      key: ADMIN_KEY,
      body: { name: 'second tiny cap', period: 'daily', limitUsd: '0.000001', hardCap: true },
    });
    expect(budget.body).toMatchObject({ exceeded: true });
    const bulk = await t.app.request('POST', '/api/v1/qa-pairs/bulk', {
      body: { items: Array.from({ length: 10 }, (_, i) => ({ question: `Postponed import ${i}?`, answer: `Waits for the next period ${i}.` })) },
    });
    const ids: string[] = bulk.body.items.map((item: { id: string }) => item.id);
    const idle = async () => (await queue.bull.getWaitingCount()) + (await queue.bull.getActiveCount()) === 0;
    await waitFor(async () => (await queue.bull.getDelayedCount()) === 10 && (await idle()));

    // A reconcile pass while capped adds nothing that would only be postponed again.
    const reconciled = await t.app.request('POST', '/api/v1/queue/reconcile', { key: ADMIN_KEY });
    expect(reconciled.status).toBe(200);
    expect(reconciled.body.pending).toBe(0);
    expect(await queue.bull.getWaitingCount()).toBe(0);

    // A migration's window names the base ids; its postponed work is found all the same.
    const model = await t.app.get(EmbeddingModelsService).getByName('text-embedding-3-small');
    const pairs: Array<{ id: string; contentHash: string }> = (
      await t.db.query(`SELECT id, content_hash FROM qa_pairs WHERE id = ANY($1::uuid[])`, [ids])
    ).map((row: { id: string; content_hash: string }) => ({ id: row.id, contentHash: row.content_hash }));
    const jobs = t.app.get(MigrationJobs);
    expect(await jobs.enqueue('capped-migration', model, pairs)).toBe(true);
    await waitFor(idle);
    const windowIds = pairs.map((pair) => embeddingJobId(pair.id, model.name, pair.contentHash));
    expect((await jobs.dropLost('capped-migration', windowIds)).sort()).toEqual([...windowIds].sort());
    // The job-status API finds it under the id enqueueing returned.
    expect((await t.app.request('GET', `/api/v1/jobs/${encodeURIComponent(windowIds[0])}`)).body).toMatchObject({
      state: 'delayed',
      qaPairId: pairs[0].id,
    });

    expect(await jobs.withdraw('capped-migration')).toBe(10);
    expect(await queue.bull.getDelayedCount()).toBe(0);
    await t.app.request('PATCH', `/api/v1/cost/budgets/${budget.body.budget.id}`, { key: ADMIN_KEY, body: { hardCap: false } });
  });
});
