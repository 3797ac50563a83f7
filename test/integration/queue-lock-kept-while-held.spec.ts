import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { EMBEDDINGS_QUEUE } from '../../src/queue/embedding-job';
import { ADMIN_KEY, waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

const BREAKER = '/api/v1/circuit-breakers/openai';

/**
 * Bull 4 stops renewing a job's lock after one failed renewal (a Redis blip): a job held
 * longer than the lock (waiting at an open breaker, or out a database outage) would then be
 * taken for stalled, run a second time alongside the first and charged a stall, an attempt
 * spent on an outage. The runner keeps the lock of the job it holds.
 */
describe('a job held at an open breaker through a Redis blip', () => {
  const t = useTestApp({ env: { QUEUE_LOCK_DURATION_MS: '4000', QUEUE_STALLED_INTERVAL_MS: '1000', QUEUE_MAX_ATTEMPTS: '3' } });

  it('keeps its lock: it is not taken for stalled, and runs once when the breaker closes', async () => {
    const queue = t.app.get<Queue>(getQueueToken(EMBEDDINGS_QUEUE));
    const stalled: string[] = [];
    queue.on('stalled', (job) => stalled.push(String(job.id)));
    const lockRenewalsFailed: string[] = [];
    queue.on('lock-extension-failed', (job) => lockRenewalsFailed.push(String(job.id)));
    expect((await t.app.request('POST', `${BREAKER}/force-open`, { key: ADMIN_KEY, body: { reason: 'drill' } })).status).toBe(200);
    // Redis is unreachable for lock renewals (ioredis then throws this) from the job's start until Bull's first renewal has failed.
    const client = queue.client as unknown as { extendLock: (...args: unknown[]) => Promise<number> };
    const extendLock = client.extendLock.bind(client);
    client.extendLock = (...args: unknown[]) =>
      lockRenewalsFailed.length === 0 ? Promise.reject(new Error('Connection is closed.')) : extendLock(...args);
    try {
      const created = await t.app.request('POST', '/api/v1/qa-pairs', { body: { question: 'Held through a blip?', answer: 'Yes.' } });
      expect(created.status).toBe(201);
      await waitFor(async () => lockRenewalsFailed.length > 0, 20_000, 10);
      // Held at the open breaker for well past the lock's duration and several stall checks.
      await new Promise((resolve) => setTimeout(resolve, 8_000));
    } finally {
      client.extendLock = extendLock;
    }
    expect((await t.app.request('POST', `${BREAKER}/reset`, { key: ADMIN_KEY })).status).toBe(200);
    await waitFor(async () => (await countRows(t.db, `SELECT count(*) FROM embeddings`)) === 1, 30_000, 50);

    expect({ stalled, billedInputs: t.fake.stats().inputs }).toEqual({ stalled: [], billedInputs: 1 });
  }, 60_000);
});
