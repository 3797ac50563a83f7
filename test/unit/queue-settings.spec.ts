import { loadConfig } from '../../src/config/app-config';
import { ProviderError } from '../../src/embeddings/providers/provider-error';
import { bullJobOptions, bullQueueOptions } from '../../src/common/jobs/bull-options';
import { queueSettings } from '../../src/common/jobs/queue-settings';

// What each queue was registered and fed with before its settings moved into one table.
describe('queue settings', () => {
  const config = loadConfig({
    ROLE: 'worker',
    REDIS_URL: 'redis://127.0.0.1:6390/2',
    QUEUE_CONCURRENCY: '64',
    QUEUE_MAX_ATTEMPTS: '4',
    QUEUE_BACKOFF_BASE_MS: '1000',
    QUEUE_BACKOFF_CAP_MS: '8000',
    QUEUE_LOCK_DURATION_MS: '40000',
    QUEUE_STALLED_INTERVAL_MS: '15000',
  });
  const settings = queueSettings(config);

  it('gives the embeddings queue its config, a jittered backoff, and leaves stalls to EmbeddingQueueConsumer', () => {
    expect(settings.embeddings).toMatchObject({ concurrency: 64, attempts: 4 });
    const options = bullQueueOptions(config, 'embeddings');
    expect(options).toMatchObject({
      prefix: config.redis.prefix,
      redis: { host: '127.0.0.1', port: 6390, db: 2 },
      settings: { lockDuration: 40_000, lockRenewTime: 20_000, stalledInterval: 15_000, maxStalledCount: Number.MAX_SAFE_INTEGER },
    });
    const jittered = options.settings?.backoffStrategies?.jittered;
    expect(jittered?.(3, new Error('timeout'))).toBeGreaterThanOrEqual(2000);
    expect(jittered?.(3, new Error('timeout'))).toBeLessThanOrEqual(4000);
    expect(jittered?.(1, new ProviderError('transient', '429', { retryAfterMs: 30_000 }))).toBe(30_000);
    expect(bullJobOptions(settings.embeddings)).toEqual({ attempts: 4, backoff: { type: 'jittered' }, removeOnComplete: true, removeOnFail: true });
  });

  it('runs one compare job per run kind at a time, never retried by Bull, with the shared locks', () => {
    expect(settings.compare.concurrency).toBe(1);
    const options = bullQueueOptions(config, 'compare');
    expect(options.settings).toEqual({ lockDuration: 40_000, lockRenewTime: 20_000, stalledInterval: 15_000, maxStalledCount: 1 });
    expect(bullJobOptions(settings.compare)).toEqual({ attempts: 1, removeOnComplete: true, removeOnFail: true });
  });
});
