import { EmbeddingQueue } from '../../src/queue/embedding-queue.service';
import { ingestPairs, migrationPairs, startMigration, untilState } from '../support/migration-test-helpers';
import { ADMIN_KEY, USER_KEY, waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';
import type { MigrationEventDto } from '../../src/model-migration/dto/migration.dto';

const SMALL = 'text-embedding-3-small';
const ADA = 'text-embedding-ada-002';
const PAIRS = 400;
const WINDOW_BATCHES = 5;

/** The migrations REST API end to end: validation, estimate, the one-per-pair constraint, pause/resume, SSE, cutover, rollback, cleanup. */
describe('migrations API', () => {
  // The searches here ask which model's vectors are served, not how well HNSW recalls: the
  // widest candidate list makes the index scan exhaustive over these 400 pairs (a query whose
  // lexical vector is near-orthogonal to almost every pair can otherwise miss its one match).
  const t = useTestApp({
    env: { MIGRATION_TICK_MS: '100', MIGRATION_WINDOW_BATCHES: String(WINDOW_BATCHES), RATE_LIMIT_TPM: '600000', SEARCH_EF_SEARCH: '1000' },
  });

  const admin = (method: string, path: string, body?: unknown) => t.app.request(method, path, { body, key: ADMIN_KEY });
  const count = (sql: string, params: unknown[] = []) => countRows(t.db, sql, params);
  const adaEmbeddings = () => count(`SELECT count(*) FROM embeddings e JOIN embedding_models m ON m.id = e.model_id WHERE m.name = $1`, [ADA]);
  const migration = async (id: string) => (await t.app.request('GET', `/api/v1/migrations/${id}`)).body;
  const queuedFor = async (model: string, states: Array<'waiting' | 'active' | 'delayed'>) =>
    (await t.app.get(EmbeddingQueue).bull.getJobs(states)).filter((job) => job?.data.model === model).length;

  beforeAll(() => ingestPairs(t.app, t.db, migrationPairs(PAIRS, 'api'), SMALL));

  afterEach(() => t.fake.reset());

  it('refuses bad requests with the right status, naming the field', async () => {
    const cases: Array<[unknown, number, RegExp]> = [
      [{ fromModel: SMALL, toModel: 'no-such-model' }, 404, /embedding model no-such-model not found/],
      [{ fromModel: SMALL, toModel: SMALL }, 409, /same model/],
      [{ fromModel: ADA, toModel: SMALL }, 409, /not the active model/],
      [{ fromModel: SMALL, toModel: ADA, batchSize: 0 }, 400, /^batchSize: /],
      [{ fromModel: SMALL, toModel: ADA, batchSize: 5000 }, 400, /^batchSize: /],
      [{ fromModel: SMALL, toModel: ADA, batchSize: 'ten' }, 400, /^batchSize: /],
      [{ fromModel: SMALL, toModel: ADA, maxFailureShare: 2 }, 400, /^maxFailureShare: /],
      [{ fromModel: SMALL }, 400, /^toModel: /],
    ];
    for (const [body, status, message] of cases) {
      const response = await admin('POST', '/api/v1/migrations', body);
      expect({ body, status: response.status }).toEqual({ body, status });
      expect(response.body.message).toMatch(message);
    }
    expect((await t.app.request('POST', '/api/v1/migrations', { body: { fromModel: SMALL, toModel: ADA }, key: USER_KEY })).status).toBe(403);
    expect((await t.app.request('GET', '/api/v1/migrations/9b2f5a8e-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await t.app.request('GET', '/api/v1/migrations/not-a-uuid')).body.message).toBe('id: must be a UUID');
    expect((await admin('POST', '/api/v1/migrations/9b2f5a8e-0000-4000-8000-000000000000/pause')).status).toBe(404);
    const unknownEvents = await t.app.request('GET', '/api/v1/migrations/9b2f5a8e-0000-4000-8000-000000000000/events');
    expect(unknownEvents).toMatchObject({ status: 404, body: { message: 'migration 9b2f5a8e-0000-4000-8000-000000000000 not found' } });
    expect(await count(`SELECT count(*) FROM model_migrations`)).toBe(0);
  });

  it('estimates pairs, tokens, cost and an ETA from the configured rate limit before starting', async () => {
    const response = await t.app.request('POST', '/api/v1/migrations/estimate', { body: { fromModel: SMALL, toModel: ADA } });
    expect(response.status).toBe(200);
    const estimate = response.body;
    const tokens = await count(`SELECT sum(tokens) FROM embeddings e JOIN embedding_models m ON m.id = e.model_id WHERE m.name = $1`, [SMALL]);
    expect(estimate).toMatchObject({ pairs: PAIRS, tokens, pairsWithStoredTokenCounts: PAIRS, pricePerMillionTokens: '0.1' });
    expect(estimate.costUsd).toBe(String((tokens * 0.1) / 1e6));
    expect(estimate.rateLimit).toEqual({ requestsPerMinute: null, tokensPerMinute: 600_000, seconds: Math.ceil((tokens / 600_000) * 60) });
    expect(estimate.etaSeconds).toBeGreaterThanOrEqual(estimate.rateLimit.seconds);
    const pairs = await t.app.request('GET', `/api/v1/migrations/pairs?fromModel=${SMALL}&toModel=${ADA}&limit=50`);
    expect(pairs.body.items).toHaveLength(50);
    expect(pairs.body.items[0]).toMatchObject({ onSource: true, staleTarget: false });
    expect(pairs.body.next).toBe(pairs.body.items[49].qaPairId);
  });

  it('allows one migration per model pair, enforced by the database', async () => {
    t.fake.configure({ latency: { ms: 200, jitterMs: 0 } });
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, batchSize: 10 });
    const second = await admin('POST', '/api/v1/migrations', { fromModel: SMALL, toModel: ADA });
    expect(second.status).toBe(409);
    expect(second.body.context).toEqual({ migrationId: id });
    // Not only a check in code: the unique index refuses a second in-progress row outright.
    await expect(
      t.db.query(
        `INSERT INTO model_migrations (from_model_id, to_model_id, state, batch_size, auto_cutover, max_failure_share, estimate)
         SELECT from_model_id, to_model_id, 'paused', 10, true, 0.05, '{}' FROM model_migrations WHERE id = $1`,
        [id],
      ),
    ).rejects.toThrow(/model_migrations_one_in_progress/);

    const cancelled = await admin('POST', `/api/v1/migrations/${id}/cancel`);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', reason: 'cancelled by request' });
    expect((await admin('POST', `/api/v1/migrations/${id}/cancel`)).status).toBe(409);
    expect((await admin('POST', `/api/v1/migrations/${id}/cleanup`)).status).toBe(202);
    await waitFor(async () => (await migration(id)).cleanedAt !== null, 30_000);
    await waitFor(async () => (await adaEmbeddings()) === 0, 10_000);
  });

  it('pauses with little queued, resumes, streams progress, dual-writes edits, cuts over and rolls back on request', async () => {
    t.fake.configure({ latency: { ms: 150, jitterMs: 0 } });
    const batchSize = 10;
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, batchSize, autoCutover: false });
    await waitFor(async () => (await adaEmbeddings()) >= 30, 30_000);
    expect(await queuedFor(ADA, ['waiting', 'active', 'delayed'])).toBeLessThanOrEqual(batchSize * WINDOW_BATCHES);

    const paused = await admin('POST', `/api/v1/migrations/${id}/pause`);
    expect(paused.body).toMatchObject({ state: 'paused', etaSeconds: null });
    expect(await queuedFor(ADA, ['waiting'])).toBe(0);
    // What workers held at the pause finishes, then nothing more is embedded.
    let last = -1;
    await waitFor(
      async () => {
        const now = await adaEmbeddings();
        const stable = now === last;
        last = now;
        return stable;
      },
      20_000,
      1_000,
    );
    expect(last).toBeLessThan(PAIRS);

    // Paused, edits are still embedded for both models.
    const [edited] = await t.db.query(`SELECT id FROM qa_pairs ORDER BY id DESC LIMIT 1`);
    const patched = await t.app.request('PATCH', `/api/v1/qa-pairs/${edited.id}`, { body: { answer: 'A new answer about zebra migration paths.' } });
    expect(patched.status).toBe(200);
    const currentUnder = (model: string, pairId: string) =>
      count(
        `SELECT count(*) FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id AND q.content_hash = e.content_hash
         JOIN embedding_models m ON m.id = e.model_id WHERE m.name = $1 AND q.id = $2`,
        [model, pairId],
      );
    await waitFor(async () => (await currentUnder(ADA, edited.id)) === 1 && (await currentUnder(SMALL, edited.id)) === 1, 20_000);
    expect((await admin('POST', `/api/v1/migrations/${id}/resume`)).body.state).toBe('running');

    const events = await readEvents(`/api/v1/migrations/${id}/events`);
    const percentages = events.map((event) => event.progress.percentage);
    expect(events.length).toBeGreaterThan(2);
    percentages.slice(1).forEach((p, i) => expect(p).toBeGreaterThanOrEqual(percentages[i]));
    expect(events[events.length - 1]).toMatchObject({ state: 'ready', progress: { percentage: 100, completed: PAIRS } });
    expect(events.some((event) => event.state === 'running' && event.etaSeconds !== null)).toBe(true);

    const ready = await migration(id);
    expect(ready.comparison).toMatchObject({ k: 10, targetCoverage: 1 });
    // The comparison overwrites the cutover evidence and runs a heavy query: admins only.
    const refused = await t.app.request('POST', `/api/v1/migrations/${id}/comparison`, { body: { sampleSize: 10 } });
    expect({ status: refused.status, message: refused.body.message }).toEqual({ status: 403, message: expect.stringMatching(/admin/) });
    expect((await migration(id)).comparison).toEqual(ready.comparison);
    const compared = await admin('POST', `/api/v1/migrations/${id}/comparison`, { sampleSize: 10 });
    expect(compared.body).toMatchObject({ k: 10, sampleSize: 10 });
    // At variant 0 the fake gives ada-002 and 3-small the same vectors: the neighbourhoods agree.
    expect(compared.body.meanOverlap).toBeGreaterThan(0.9);

    expect((await admin('POST', `/api/v1/migrations/${id}/cutover`)).body.state).toBe('cut_over');
    expect((await t.app.request('POST', '/api/v1/search', { body: { query: 'zebra migration paths' } })).body.model).toBe(ADA);
    const models = (await t.app.request('GET', '/api/v1/models')).body as Array<{ name: string; active: boolean; keepCurrent: boolean }>;
    expect(models.find((m) => m.name === SMALL)).toMatchObject({ active: false, keepCurrent: true });

    // After the cutover, edits keep the old model current, so a rollback serves fresh vectors.
    await t.app.request('PATCH', `/api/v1/qa-pairs/${edited.id}`, { body: { answer: 'An even newer answer about okapi rollbacks.' } });
    await waitFor(async () => (await currentUnder(SMALL, edited.id)) === 1, 20_000);
    expect((await admin('POST', `/api/v1/migrations/${id}/rollback`)).body.state).toBe('rolled_back');
    const search = await t.app.request('POST', '/api/v1/search', { body: { query: 'okapi rollbacks', limit: 1 } });
    expect(search.body).toMatchObject({ model: SMALL, results: [{ id: edited.id, stale: false }] });

    expect((await admin('POST', `/api/v1/migrations/${id}/cleanup`)).status).toBe(202);
    await waitFor(async () => (await migration(id)).cleanedAt !== null, 30_000);
    expect((await admin('POST', `/api/v1/migrations/${id}/rollback`)).status).toBe(409);
  });

  it('cuts over by itself when filled, lists migrations, and documents every endpoint', async () => {
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, batchSize: 100 });
    await untilState(t.app, id, 'cut_over', 60_000);
    expect((await admin('POST', `/api/v1/migrations/${id}/rollback`)).body.state).toBe('rolled_back');

    const list = await t.app.request('GET', '/api/v1/migrations?limit=2');
    expect(list.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(list.body.items[0]).toMatchObject({ id, fromModel: SMALL, toModel: ADA, state: 'rolled_back' });
    expect((await t.app.request('GET', '/api/v1/migrations?state=cancelled')).body.total).toBe(1);

    const docs = (await t.app.request('GET', '/docs-json', { key: null })).body;
    const operations = Object.entries(docs.paths as Record<string, Record<string, { tags: string[]; security: unknown[]; responses: object }>>)
      .filter(([path]) => path.startsWith('/api/v1/migrations'))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual(
      [
        'get /api/v1/migrations',
        'get /api/v1/migrations/pairs',
        'get /api/v1/migrations/{id}',
        'get /api/v1/migrations/{id}/events',
        'post /api/v1/migrations',
        'post /api/v1/migrations/estimate',
        'post /api/v1/migrations/{id}/cancel',
        'post /api/v1/migrations/{id}/cleanup',
        'post /api/v1/migrations/{id}/comparison',
        'post /api/v1/migrations/{id}/cutover',
        'post /api/v1/migrations/{id}/pause',
        'post /api/v1/migrations/{id}/resume',
        'post /api/v1/migrations/{id}/rollback',
      ].sort(),
    );
    for (const { op } of operations) {
      expect(op.tags).toEqual(['migrations']);
      expect(op.security).toEqual([{ 'api-key': [] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401']));
    }
  });

  /** Reads a server-sent event stream to its end. */
  async function readEvents(path: string): Promise<MigrationEventDto[]> {
    const response = await fetch(t.app.baseUrl + path, { headers: { 'x-api-key': USER_KEY } });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await response.text();
    return text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice('data: '.length)));
  }
});
