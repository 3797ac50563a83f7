import type { Job } from 'bull';
import { EmbeddingQueue } from '../../src/queue/embedding-queue.service';
import { embeddedUnder, migrationState, startMigration, untilState } from '../support/migration-test-helpers';
import { waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

const PAIRS = 300;
const BATCH = 10;
const RECOVERY_MS = 1_000;
const REVOKED_MS = 6_000;

/**
 * The API key is revoked in the middle of an ingest, then works again (rotated back): the
 * first 401 opens the breaker at once, every job waits without spending an attempt, nothing
 * is dead-lettered, the breaker says why, search degrades instead of failing, and once the
 * key works the half-open probe closes the breaker and the ingest finishes by itself.
 */
describe('the API key is revoked during an ingest', () => {
  const t = useTestApp({
    env: {
      BREAKER_FAILURE_THRESHOLD: '5',
      BREAKER_RECOVERY_TIMEOUT_MS: String(RECOVERY_MS),
      QUEUE_BATCH_MAX_INPUTS: String(BATCH),
      QUEUE_CONCURRENCY: String(2 * BATCH),
      QUEUE_MAX_ATTEMPTS: '3',
    },
  });
  const failedAttempts: string[] = [];

  beforeAll(() => {
    t.fake.configure({ latency: { ms: 100 } });
    t.app.get(EmbeddingQueue).bull.on('failed', (job: Job) => failedAttempts.push(String(job?.id)));
  });

  const embedded = () => countRows(t.db, `SELECT count(*) AS n FROM embeddings`);
  const deadLetters = () => countRows(t.db, `SELECT count(*) AS n FROM dead_letters`);
  const breaker = async () => (await t.app.request('GET', '/api/v1/circuit-breakers/openai')).body;
  let searches = 0;
  const search = () => t.app.request('POST', '/api/v1/search', { body: { query: `which clause applies? (${++searches})` } });

  it('holds every job while the key is refused and embeds everything by itself once it works again', async () => {
    const items = Array.from({ length: PAIRS }, (_, i) => ({
      question: `Key question ${i} about subject ${i % 19}?`,
      answer: `Answer ${i}: see clause ${i % 7}.`,
    }));
    expect((await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } })).status).toBe(201);
    await waitFor(async () => (await embedded()) >= 30, 20_000);

    t.fake.configure({ invalidApiKey: true });
    await waitFor(async () => (await breaker()).state === 'open', 10_000);
    const open = await breaker();
    expect(open).toMatchObject({ openCause: 'credentials_rejected', consecutiveFailures: 1 });
    expect(open.lastError.message).toMatch(/^credentials_rejected: provider answered 401/);
    expect(await embedded()).toBeLessThan(PAIRS / 2);

    // Several probe periods with the key still refused: probes fail, jobs wait, nothing is spent.
    await new Promise((resolve) => setTimeout(resolve, REVOKED_MS));
    expect(await deadLetters()).toBe(0);
    expect(failedAttempts).toEqual([]);
    const metrics = (await t.app.request('GET', '/metrics')).body as string;
    expect(Number(/^embsvc_embedding_jobs_held (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/embsvc_embedding_jobs_deferred_total\{reason="credentials_rejected"\} [1-9]/);
    expect(metrics).toContain('embsvc_circuit_breaker_open_cause{breaker="openai",cause="credentials_rejected"} 1');
    const history = (await t.app.request('GET', '/api/v1/circuit-breakers/openai/history')).body as Array<{ to: string; reason: string }>;
    expect(history.filter((entry) => entry.to === 'open' && /credentials_rejected/.test(entry.reason)).length).toBeGreaterThan(1);
    expect((await breaker()).openCause).toBe('credentials_rejected');

    const degraded = await search();
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ mode: 'lexical', degradedReason: 'credentials_rejected' });

    // Only the calls in flight when the key was revoked, and one probe per recovery period, reached the provider.
    const refusedCalls = t.fake.stats().byStatus['401'] ?? 0;
    expect(refusedCalls).toBeLessThanOrEqual(2 + Math.ceil(REVOKED_MS / RECOVERY_MS) + 2);

    t.fake.configure({ invalidApiKey: false });
    await waitFor(async () => (await embedded()) === PAIRS, 60_000, 200);
    expect(await deadLetters()).toBe(0);
    expect(failedAttempts).toEqual([]);
    expect(await breaker()).toMatchObject({ state: 'closed', openCause: null });
    expect((await search()).body).toMatchObject({ mode: 'vector', degradedReason: null });
  });

  it('holds a running migration while the key is refused: it neither fails nor dead-letters, and fills by itself after', async () => {
    const target = 'text-embedding-ada-002';
    const id = await startMigration(t.app, { fromModel: 'text-embedding-3-small', toModel: target, batchSize: BATCH, autoCutover: false });
    await waitFor(async () => (await embeddedUnder(t.db, target)) >= 2 * BATCH, 20_000);

    t.fake.configure({ invalidApiKey: true });
    await waitFor(async () => (await breaker()).state === 'open', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 3 * RECOVERY_MS));
    expect(await migrationState(t.app, id)).toBe('running');
    expect((await t.app.request('GET', `/api/v1/migrations/${id}`)).body.progress).toMatchObject({ failed: 0 });
    expect(await deadLetters()).toBe(0);
    expect(await embeddedUnder(t.db, target)).toBeLessThan(PAIRS);

    t.fake.configure({ invalidApiKey: false });
    await untilState(t.app, id, 'ready', 60_000);
    expect(await embeddedUnder(t.db, target)).toBe(PAIRS);
    expect(await deadLetters()).toBe(0);
    expect(failedAttempts).toEqual([]);
  });
});
