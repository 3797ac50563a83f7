import { EmbeddingStore } from '../../src/embeddings/embedding-store';
import { ProviderError } from '../../src/embeddings/providers/provider-error';
import { embeddingJobId, PRIORITY } from '../../src/queue/embedding-job';
import { EmbeddingQueue } from '../../src/queue/embedding-queue.service';
import { ADMIN_KEY, waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

/**
 * The queue's seed cases, on the real Redis and Postgres with the SDK against the t.fake.
 * The app runs without the worker role, so each test drives jobs with processNext().
 */
describe('EmbeddingQueue', () => {
  // A base large enough to measure the delay and its jitter against the test's own timing.
  const t = useTestApp({ env: { ROLE: 'api', QUEUE_MAX_ATTEMPTS: '3', QUEUE_BACKOFF_BASE_MS: '4000', QUEUE_BACKOFF_CAP_MS: '60000' } });
  let queue: EmbeddingQueue;

  beforeAll(() => {
    queue = t.app.get(EmbeddingQueue);
  });

  afterEach(async () => {
    t.fake.reset();
    await queue.bull.empty();
    // Each test counts its own failures against the breaker's threshold.
    const reset = await t.app.request('POST', '/api/v1/circuit-breakers/openai/reset', { key: ADMIN_KEY, body: { reason: 'next test' } });
    expect(reset.status).toBe(200);
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

  /** When Bull will run a delayed job again: the delayed set's score holds the timestamp (ms) above 12 bits. */
  async function retryAt(jobId: string): Promise<number> {
    const score = await queue.bull.client.zscore(queue.bull.toKey('delayed'), jobId);
    expect(score).not.toBeNull();
    return Math.floor(Number(score) / 0x1000);
  }

  it('retries a failed job with backoff, then succeeds', async () => {
    const { id, jobId } = await createPair('Is a failed job retried?');
    t.fake.configure({ fail: { next: 2, status: 503 } });
    let before = Date.now();
    const first = await queue.processNext();
    let after = Date.now();
    expect(first?.error?.message).toMatch(/503/);
    const job = await queue.getJob(jobId);
    expect(await job!.getState()).toBe('delayed');
    expect(job!.attemptsMade).toBe(1);
    // Attempt 1: base·2^0 = 4 s, equal jitter → between 2 and 4 s after the failure, which
    // happened somewhere between `before` and `after`.
    let at = await retryAt(jobId);
    expect(at - before).toBeGreaterThanOrEqual(2000);
    expect(at - after).toBeLessThanOrEqual(4000);
    await job!.promote();
    before = Date.now();
    expect((await queue.processNext())?.error?.message).toMatch(/503/);
    after = Date.now();
    // Attempt 2: base·2^1 = 8 s → between 4 and 8 s.
    at = await retryAt(jobId);
    expect(at - before).toBeGreaterThanOrEqual(4000);
    expect(at - after).toBeLessThanOrEqual(8000);
    await (await queue.getJob(jobId))!.promote();
    const second = await queue.processNext();
    expect(second).toMatchObject({ jobId, outcome: { status: 'embedded' } });
    expect((await t.app.request('GET', `/api/v1/qa-pairs/${id}`)).body.embedding.state).toBe('embedded');
  });

  it('spreads the retries of one failed batch (jitter), and never retries before a Retry-After', async () => {
    // Four: one short of the breaker's threshold, so each failure is a retry, not an open breaker.
    const pairs = await Promise.all([1, 2, 3, 4].map((n) => createPair(`Jittered retry ${n}?`)));
    t.fake.configure({ fail: { next: 4, status: 500 } });
    for (let i = 0; i < pairs.length; i++) expect((await queue.processNext())?.error).toBeDefined();
    const retries = await Promise.all(pairs.map((pair) => retryAt(pair.jobId)));
    // Four failures within moments of each other, each with 2 s of random spread: not one instant.
    expect(new Set(retries).size).toBeGreaterThan(1);
    expect(Math.max(...retries) - Math.min(...retries)).toBeGreaterThan(0);

    // The strategy Bull runs for our jobs takes a provider's Retry-After as a floor, above the cap too.
    const strategy = (queue.bull as unknown as { settings: { backoffStrategies: Record<string, (n: number, e: Error) => number> } }).settings
      .backoffStrategies.jittered;
    const asked = new ProviderError('transient', 'provider answered 503', { status: 503, retryAfterMs: 90_000 });
    expect(strategy(1, asked)).toBe(90_000);
    expect(strategy(1, new ProviderError('transient', 'provider answered 503', { status: 503, retryAfterMs: 10 }))).toBeGreaterThanOrEqual(2000);
  });

  it('reports the state of a job whose model name contains colons', async () => {
    const model = 'ft:text-embedding-3-small:acme:0123456789abcdef';
    const registered = await t.app.request('POST', '/api/v1/models', {
      key: 'test-admin-key',
      body: { name: model, apiModel: 'text-embedding-3-small', dimensions: 1536, pricePerMillionTokens: '0.02' },
    });
    expect(registered.status).toBe(201);
    const { id } = await createPair('Is a colon in a model name a problem?');
    await queue.bull.empty();
    const [row] = await t.db.query(`SELECT content_hash FROM qa_pairs WHERE id = $1`, [id]);
    const jobId = await queue.enqueue({ qaPairId: id, model, contentHash: row.content_hash, purpose: 'ingest' });
    expect(jobId).toBe(embeddingJobId(id, model, row.content_hash));
    expect((await t.app.request('GET', `/api/v1/jobs/${encodeURIComponent(jobId)}`)).body).toMatchObject({ state: 'waiting', model });

    expect(await queue.processNext()).toMatchObject({ jobId, outcome: { status: 'embedded' } });
    const done = await t.app.request('GET', `/api/v1/jobs/${encodeURIComponent(jobId)}`);
    expect(done.body).toMatchObject({ id: jobId, state: 'completed', qaPairId: id, model });
  });

  it('serves /queue/stats polls from one coverage computation per model every few seconds', async () => {
    const coverage = jest.spyOn(t.app.get(EmbeddingStore), 'coverage');
    try {
      const polls = await Promise.all(Array.from({ length: 5 }, () => t.app.request('GET', '/api/v1/queue/stats')));
      for (let i = 0; i < 5; i++) polls.push(await t.app.request('GET', '/api/v1/queue/stats'));
      expect(polls.every((poll) => poll.status === 200)).toBe(true);
      const keptCurrent = polls[0].body.models.length;
      expect(keptCurrent).toBeGreaterThan(0);
      expect(coverage.mock.calls.length).toBeLessThanOrEqual(keptCurrent);
      expect(new Set(polls.map((poll) => poll.body.coverageAsOf)).size).toBeLessThanOrEqual(1);
    } finally {
      coverage.mockRestore();
    }
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
    await queue.enqueue({
      qaPairId: low.id,
      model: 'text-embedding-3-small',
      contentHash: hashOf(low.id),
      purpose: 'migration',
      priority: PRIORITY.migration,
    });
    await queue.enqueue({
      qaPairId: high.id,
      model: 'text-embedding-3-small',
      contentHash: hashOf(high.id),
      purpose: 'ingest',
      priority: PRIORITY.live,
    });
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
    const { id } = await createPair('Is a 404 dead-lettered at once?');
    t.fake.configure({ fail: { next: 1, status: 404, code: 'model_not_found', message: 'The model does not exist' } });
    const result = await queue.processNext();
    expect(result?.error?.message).toMatch(/404/);
    await waitFor(async () => (await t.app.request('GET', `/api/v1/dead-letters?qaPairId=${id}`)).body.total === 1);
    const letter = (await t.app.request('GET', `/api/v1/dead-letters?qaPairId=${id}`)).body.items[0];
    expect(letter).toMatchObject({ errorKind: 'permanent', attempts: 1 });
    expect(await queue.bull.getDelayedCount()).toBe(0);
  });
});
