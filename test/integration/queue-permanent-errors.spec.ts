import { ADMIN_KEY, waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

/** Permanent provider errors go to the dead letters at once; replay after the fault is gone embeds them. */
describe('permanent provider errors', () => {
  const t = useTestApp({ env: { QUEUE_MAX_ATTEMPTS: '5' } });

  // A 404 (the model is unknown to the provider) is per-work permanent; a 401/403 is a provider-wide credential outage instead (circuit-breaker/README.md).
  it('dead-letters 404s after one attempt each, and replays them all once fixed', async () => {
    t.fake.configure({
      fail: { next: 1000, status: 404, code: 'model_not_found', message: 'The model does not exist or you do not have access to it.' },
    });
    const items = Array.from({ length: 20 }, (_, i) => ({ question: `Permanent failure ${i}?`, answer: `Answer ${i}.`, category: 'perm' }));
    const created = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } });
    const ids: string[] = created.body.items.map((item: { id: string }) => item.id);

    const letters = await waitFor(async () => {
      const page = await t.app.request('GET', '/api/v1/dead-letters?limit=100');
      return page.body.total === 20 ? page.body : null;
    });
    expect(letters.items.every((letter: { errorKind: string; attempts: number }) => letter.errorKind === 'permanent' && letter.attempts === 1)).toBe(
      true,
    );
    expect(letters.items[0].lastError).toMatch(/404/);
    // No retries were burnt: the provider saw each failing input once.
    expect(t.fake.stats().byStatus['404']).toBeLessThanOrEqual(20);
    const one = await t.app.request('GET', `/api/v1/dead-letters/${letters.items[0].id}`);
    expect(one.body.id).toBe(letters.items[0].id);

    // The reconciler leaves dead-lettered work alone.
    const reconciled = await t.app.request('POST', '/api/v1/queue/reconcile', { key: ADMIN_KEY });
    expect(reconciled.body.pending).toBe(0);

    expect((await t.app.request('POST', '/api/v1/dead-letters/replay', { body: {} })).status).toBe(403);
    t.fake.reset();
    const replay = await t.app.request('POST', '/api/v1/dead-letters/replay', { body: {}, key: ADMIN_KEY });
    expect(replay.body).toEqual({ replayed: 20 });
    await waitFor(async () => {
      const [row] = await t.db.query(`SELECT count(*) AS n FROM embeddings WHERE qa_pair_id = ANY($1::uuid[])`, [ids]);
      return Number(row.n) === 20;
    });
    expect((await t.app.request('GET', '/api/v1/dead-letters')).body.total).toBe(0);
  });

  it('bisects a batch the provider refused with 400, so one refusal does not dead-letter its neighbours', async () => {
    t.fake.reset();
    t.fake.configure({ fail: { next: 1, status: 400, message: 'one input of this batch is invalid' } });
    const items = Array.from({ length: 8 }, (_, i) => ({ question: `Batch neighbour ${i}?`, answer: `Fine ${i}.` }));
    const created = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } });
    const ids: string[] = created.body.items.map((item: { id: string }) => item.id);
    await waitFor(async () => {
      const [row] = await t.db.query(`SELECT count(*) AS n FROM embeddings WHERE qa_pair_id = ANY($1::uuid[])`, [ids]);
      return Number(row.n) === 8;
    });
    expect(t.fake.stats().byStatus['400']).toBe(1);
    expect((await t.app.request('GET', '/api/v1/dead-letters')).body.total).toBe(0);
    const stats = await t.app.request('GET', '/api/v1/queue/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.jobs).toMatchObject({ waiting: 0, active: 0 });
    expect(stats.body.models[0]).toMatchObject({ model: 'text-embedding-3-small', active: true, embedded: 28, total: 28 });
    expect(stats.body.embeddedLastMinute).toBeGreaterThanOrEqual(28);
  });

  it('discards a dead letter: hidden, and not retried by the reconciler', async () => {
    t.fake.configure({ fail: { next: 1, status: 400, message: 'bad input' } });
    const created = await t.app.request('POST', '/api/v1/qa-pairs', { body: { question: 'Discard me?', answer: 'Please.' } });
    const letter = await waitFor(async () => (await t.app.request('GET', `/api/v1/dead-letters?qaPairId=${created.body.id}`)).body.items[0]);
    const discarded = await t.app.request('DELETE', `/api/v1/dead-letters/${letter.id}`, { key: ADMIN_KEY });
    expect(discarded.body.discardedAt).toBeTruthy();
    expect((await t.app.request('GET', `/api/v1/dead-letters?qaPairId=${created.body.id}`)).body.total).toBe(0);
    expect((await t.app.request('GET', `/api/v1/dead-letters?qaPairId=${created.body.id}&includeDiscarded=true`)).body.total).toBe(1);
    expect((await t.app.request('POST', '/api/v1/queue/reconcile', { key: ADMIN_KEY })).body.pending).toBe(0);
  });
});
