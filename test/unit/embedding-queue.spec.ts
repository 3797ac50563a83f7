import { embeddingJobId, PRIORITY } from '../../src/queue/embedding-job';
import { EmbeddingQueue } from '../../src/queue/embedding-queue.service';
import { waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

/**
 * The queue's seed cases, on the real Redis and Postgres with the SDK against the t.fake.
 * The app runs without the worker role, so each test drives jobs with processNext().
 */
describe('EmbeddingQueue', () => {
  const t = useTestApp({ env: { ROLE: 'api', QUEUE_MAX_ATTEMPTS: '3' } });
  let queue: EmbeddingQueue;

  beforeAll(() => {
    queue = t.app.get(EmbeddingQueue);
  });

  afterEach(async () => {
    t.fake.reset();
    await queue.bull.empty();
  });

  async function createPair(question: string): Promise<{ id: string; jobId: string }> {
    const response = await t.app.request('POST', '/api/v1/qa-pairs', { body: { question, answer: `Answer to: ${question}` } });
    expect(response.status).toBe(201);
    const [row] = await t.db.query(`SELECT content_hash FROM qa_pairs WHERE id = $1`, [response.body.id]);
    return { id: response.body.id, jobId: embeddingJobId(response.body.id, 'text-embedding-3-small', row.content_hash) };
  }

  it('queues a job when a QA pair is created', async () => {
    const { id, jobId } = await createPair('Is a job queued on create?');
    const job = await queue.getJob(jobId);
    expect(job).not.toBeNull();
    expect(await job!.getState()).toBe('waiting');
    expect(job!.data).toMatchObject({ qaPairId: id, model: 'text-embedding-3-small', purpose: 'ingest', priority: PRIORITY.live });
    expect(job!.opts.attempts).toBe(3);
    const status = await t.app.request('GET', `/api/v1/jobs/${encodeURIComponent(jobId)}`);
    expect(status.body).toMatchObject({ state: 'waiting', qaPairId: id, attempts: 0, maxAttempts: 3 });
  });

  it('processes the job asynchronously: the pair becomes embedded', async () => {
    const { id, jobId } = await createPair('Does the worker embed it?');
    expect((await t.app.request('GET', `/api/v1/qa-pairs/${id}`)).body.embedding.state).toBe('pending');
    const result = await queue.processNext();
    expect(result).toMatchObject({ jobId, outcome: { status: 'embedded' } });
    expect((await t.app.request('GET', `/api/v1/qa-pairs/${id}`)).body.embedding.state).toBe('embedded');
    expect(await queue.getJob(jobId)).toBeNull();
    expect((await t.app.request('GET', `/api/v1/jobs/${encodeURIComponent(jobId)}`)).body.state).toBe('completed');
  });

  it('retries a failed job with backoff, then succeeds', async () => {
    const { id, jobId } = await createPair('Is a failed job retried?');
    t.fake.configure({ fail: { next: 1, status: 503 } });
    const first = await queue.processNext();
    expect(first?.error?.message).toMatch(/503/);
    const job = await queue.getJob(jobId);
    expect(await job!.getState()).toBe('delayed');
    expect(job!.attemptsMade).toBe(1);
    await job!.promote(); // the backoff has passed
    const second = await queue.processNext();
    expect(second).toMatchObject({ jobId, outcome: { status: 'embedded' } });
    expect((await t.app.request('GET', `/api/v1/qa-pairs/${id}`)).body.embedding.state).toBe('embedded');
  });

  it('moves a job to the dead letters after max attempts', async () => {
    const { id, jobId } = await createPair('Is it dead-lettered after three failures?');
    t.fake.configure({ fail: { next: 3, status: 500 } });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const result = await queue.processNext();
      expect(result?.error).toBeDefined();
      if (attempt < 3) await (await queue.getJob(jobId))!.promote();
    }
    expect(await queue.getJob(jobId)).toBeNull();
    const letters = await t.app.request('GET', `/api/v1/dead-letters?qaPairId=${id}`);
    expect(letters.body.total).toBe(1);
    expect(letters.body.items[0]).toMatchObject({ qaPairId: id, errorKind: 'exhausted', attempts: 3, model: 'text-embedding-3-small' });
    expect(letters.body.items[0].lastError).toMatch(/500/);
    const pair = await t.app.request('GET', `/api/v1/qa-pairs/${id}`);
    expect(pair.body.embedding).toMatchObject({ state: 'failed' });
    expect(pair.body.embedding.error).toMatch(/500/);

    const replay = await t.app.request('POST', `/api/v1/dead-letters/${letters.body.items[0].id}/replay`, { key: 'test-admin-key' });
    expect(replay.body).toEqual({ replayed: 1 });
    expect(await queue.processNext()).toMatchObject({ jobId, outcome: { status: 'embedded' } });
    expect((await t.app.request('GET', `/api/v1/dead-letters?qaPairId=${id}`)).body.total).toBe(0);
  });

  it('runs higher-priority jobs first', async () => {
    const low = await createPair('A low-priority pair');
    const high = await createPair('A high-priority pair');
    await queue.bull.empty();
    const hashes = await t.db.query(`SELECT id, content_hash FROM qa_pairs WHERE id = ANY($1::uuid[])`, [[low.id, high.id]]);
    const hashOf = (id: string) => hashes.find((row: { id: string }) => row.id === id).content_hash;
    await queue.enqueue({ qaPairId: low.id, model: 'text-embedding-3-small', contentHash: hashOf(low.id), purpose: 'migration', priority: PRIORITY.migration });
    await queue.enqueue({ qaPairId: high.id, model: 'text-embedding-3-small', contentHash: hashOf(high.id), purpose: 'ingest', priority: PRIORITY.live });
    const order = [(await queue.processNext())?.jobId, (await queue.processNext())?.jobId];
    expect(order).toEqual([high.jobId, low.jobId]);
  });

  it('treats enqueueing the same work twice as one job', async () => {
    const { id, jobId } = await createPair('Is duplicate work deduplicated?');
    const [row] = await t.db.query(`SELECT content_hash FROM qa_pairs WHERE id = $1`, [id]);
    const again = await queue.enqueue({ qaPairId: id, model: 'text-embedding-3-small', contentHash: row.content_hash, purpose: 'ingest' });
    expect(again).toBe(jobId);
    expect(await queue.bull.getWaitingCount()).toBe(1);
  });

  it('dead-letters a permanent error at once without spending retries', async () => {
    const { id } = await createPair('Is a 401 dead-lettered at once?');
    t.fake.configure({ fail: { next: 1, status: 401, code: 'invalid_api_key', message: 'Incorrect API key provided' } });
    const result = await queue.processNext();
    expect(result?.error?.message).toMatch(/401/);
    await waitFor(async () => (await t.app.request('GET', `/api/v1/dead-letters?qaPairId=${id}`)).body.total === 1);
    const letter = (await t.app.request('GET', `/api/v1/dead-letters?qaPairId=${id}`)).body.items[0];
    expect(letter).toMatchObject({ errorKind: 'permanent', attempts: 1 });
    expect(await queue.bull.getDelayedCount()).toBe(0);
  });
});
