import type { Job } from 'bull';
import { EmbeddingQueue } from '../../src/queue/embedding-queue.service';
import { waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

const PAIRS = 400;
const BATCH = 10;
const FAILURE_THRESHOLD = 3;
const OUTAGE_MS = 30_000;
/** Requests admitted just before the breaker opened may still be answered after it: one latency and some slack. */
const IN_FLIGHT_SLACK_MS = 1_000;

interface Transition {
  from: string;
  to: string;
  at: string;
}

/**
 * A 30 s outage of the provider in the middle of an ingest: the breaker opens after a few
 * failures, only probes reach the provider while it is open, no job is dead-lettered or
 * spends an attempt while it is open, and the ingest finishes by itself after recovery.
 */
describe('a provider outage during an ingest', () => {
  const t = useTestApp({
    env: {
      BREAKER_FAILURE_THRESHOLD: String(FAILURE_THRESHOLD),
      BREAKER_RECOVERY_TIMEOUT_MS: '2000',
      QUEUE_BATCH_MAX_INPUTS: String(BATCH),
      QUEUE_CONCURRENCY: String(2 * BATCH),
      QUEUE_MAX_ATTEMPTS: '3',
    },
  });
  const failedAttempts: Array<{ at: number; jobId: string }> = [];

  beforeAll(() => {
    // Slow enough that the outage starts with most of the ingest still to do.
    t.fake.configure({ latency: { ms: 100 } });
    t.app.get(EmbeddingQueue).bull.on('failed', (job: Job) => failedAttempts.push({ at: Date.now(), jobId: String(job.id) }));
  });

  const embedded = () => countRows(t.db, `SELECT count(*) AS n FROM embeddings`);
  const deadLetters = () => countRows(t.db, `SELECT count(*) AS n FROM dead_letters`);
  const breaker = async () => (await t.app.request('GET', '/api/v1/circuit-breakers/openai')).body;

  it('sends only probes while open, dead-letters nothing and embeds every pair after recovery', async () => {
    const items = Array.from({ length: PAIRS }, (_, i) => ({
      question: `Outage question ${i} about subject ${i % 23}?`,
      answer: `Answer ${i}: it depends on clause ${i % 7}.`,
    }));
    expect((await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } })).status).toBe(201);
    await waitFor(async () => (await embedded()) >= 40, 20_000);

    const outageStart = Date.now();
    t.fake.configure({ outage: true });
    await waitFor(async () => (await breaker()).state === 'open', 10_000);
    const embeddedAtOpen = await embedded();
    expect(embeddedAtOpen).toBeLessThan(PAIRS / 2);

    // Halfway through: the workers hold their jobs instead of failing them.
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS / 2));
    const metrics = (await t.app.request('GET', '/metrics')).body as string;
    expect(Number(/^embsvc_embedding_jobs_held (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/embsvc_embedding_jobs_deferred_total\{reason="breaker_open"\} [1-9]/);
    expect(await deadLetters()).toBe(0);

    await new Promise((resolve) => setTimeout(resolve, outageStart + OUTAGE_MS - Date.now()));
    t.fake.configure({ outage: false });
    const outageEnd = Date.now();

    await waitFor(async () => (await embedded()) === PAIRS, 60_000, 200);
    expect(await deadLetters()).toBe(0);
    expect((await breaker()).state).toBe('closed');

    // The breaker's periods, from its history (Redis clock; same machine as the fake's clock).
    const history = ((await t.app.request('GET', '/api/v1/circuit-breakers/openai/history')).body as Transition[]).reverse();
    const openedAt = Date.parse(history.find((t) => t.to === 'open')!.at);
    const closedAt = Date.parse(history.filter((t) => t.to === 'closed').at(-1)!.at);
    expect(openedAt).toBeGreaterThanOrEqual(outageStart);
    expect(closedAt).toBeGreaterThanOrEqual(outageEnd);
    const halfOpenPeriods = history
      .map((t, i) => ({ t, next: history[i + 1] }))
      .filter(({ t, next }) => t.to === 'half_open' && next && Date.parse(t.at) >= openedAt && Date.parse(t.at) < closedAt)
      .map(({ t, next }) => ({ from: Date.parse(t.at), to: Date.parse(next.at) }));
    expect(halfOpenPeriods.length).toBeGreaterThanOrEqual(OUTAGE_MS / 2000 / 2);

    // While open, the fake saw only probes: each inside a half-open period, one per period.
    const whileOpen = t.fake
      .stats()
      .recent.map((request) => Date.parse(request.at))
      .filter((at) => at > openedAt + IN_FLIGHT_SLACK_MS && at <= closedAt);
    const outsideProbes = whileOpen.filter((at) => !halfOpenPeriods.some((p) => at >= p.from && at <= p.to));
    expect(outsideProbes).toEqual([]);
    for (const period of halfOpenPeriods) {
      expect(whileOpen.filter((at) => at >= period.from && at <= period.to).length).toBeLessThanOrEqual(1);
    }
    expect(whileOpen.length).toBeGreaterThan(0);

    // Attempts: only the failures before the breaker opened were spent (they looked like blips then).
    expect(failedAttempts.filter((attempt) => attempt.at > openedAt + IN_FLIGHT_SLACK_MS)).toEqual([]);
    expect(failedAttempts.length).toBeLessThanOrEqual((FAILURE_THRESHOLD - 1) * BATCH);
    expect(new Set(failedAttempts.map((attempt) => attempt.jobId)).size).toBe(failedAttempts.length);
  });
});
