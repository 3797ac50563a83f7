import { EmbeddingQueue } from '../../src/queue/embedding-queue.service';
import { waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

/**
 * A pair whose job kills its worker every time (here: the provider never answers and the
 * worker is SIGKILLed while waiting) must not be retried forever: a stall spends an attempt,
 * and once the configured attempts (2 here) are spent the job is dead-lettered as `stalled`.
 */
describe('a job that stalls twice', () => {
  const t = useTestApp({ env: { ROLE: 'api', QUEUE_MAX_ATTEMPTS: '2', QUEUE_LOCK_DURATION_MS: '2000', QUEUE_STALLED_INTERVAL_MS: '1000' } });

  it('is dead-lettered with errorKind stalled instead of coming back forever', async () => {
    t.fake.configure({ hang: { all: true } });
    const created = await t.app.request('POST', '/api/v1/qa-pairs', {
      body: { question: 'Does this pair crash its worker?', answer: 'Every time.' },
    });
    expect(created.status).toBe(201);
    const [{ content_hash: hash }] = await t.db.query(`SELECT content_hash FROM qa_pairs WHERE id = $1`, [created.body.id]);

    for (let kill = 1; kill <= 2; kill++) {
      const worker = await t.startProcess();
      // The job is at the provider (which never answers): its worker dies mid-job.
      await waitFor(async () => t.fake.stats().hung >= kill, 60_000, 20);
      await worker.kill();
    }
    await t.startProcess();
    const letter = await waitFor(
      async () => (await t.app.request('GET', `/api/v1/dead-letters?qaPairId=${created.body.id}`)).body.items?.[0],
      60_000,
      200,
    );

    expect(letter).toMatchObject({ qaPairId: created.body.id, errorKind: 'stalled', contentHash: hash, attempts: 2 });
    expect(letter.lastError).toMatch(/lost 2 times \(stalled\), 2 of 2 attempts spent/);
    expect(t.fake.stats().hung).toBe(2);
    expect(await t.app.get(EmbeddingQueue).bull.getJobCounts()).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
    expect((await t.app.request('GET', `/api/v1/qa-pairs/${created.body.id}`)).body.embedding.state).toBe('failed');
    expect(await countRows(t.db, `SELECT count(*) FROM embeddings`)).toBe(0);
  }, 180_000);
});
