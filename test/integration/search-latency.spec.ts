import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/app-config';
import { SearchLatency } from '../../src/search/search-latency';
import { startPrivateRedis } from '../support/private-redis';
import { TEST_REDIS_URL, testRunId } from '../support/test-env';

/** The shared search-latency histogram on a real Redis: several processes' searches in one p99, the idle baseline, Redis down. */
describe('search latency shared through Redis', () => {
  const prefix = `t${testRunId()}${randomBytes(3).toString('hex')}`;
  const config = loadConfig({ API_KEYS: 'k', REDIS_PREFIX: prefix });
  const redis = new Redis(TEST_REDIS_URL);
  const recorders: SearchLatency[] = [];
  const recorder = (client: Redis = redis, registry = new Registry()) => {
    const latency = new SearchLatency(client, config, registry);
    recorders.push(latency);
    return latency;
  };

  afterAll(async () => {
    for (const latency of recorders) await latency.onModuleDestroy();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.unlink(...keys);
    redis.disconnect();
  });

  it("adds every process's searches into one cluster-wide p99 that any process reads", async () => {
    const [a, b, reader] = [recorder(), recorder(), recorder()];
    expect(await reader.clusterP99(5_000)).toEqual({ p99Ms: null, samples: 0 });
    for (let i = 0; i < 196; i++) a.record(4.5);
    for (let i = 0; i < 4; i++) b.record(280);
    await Promise.all([a.flush(), b.flush()]);
    const measured = await reader.clusterP99(5_000);
    expect(measured.samples).toBe(200);
    // 4 of 200 above 250 ms: the p99 is among them, in their bucket (250–300 ms).
    expect(measured.p99Ms).toBeGreaterThan(250);
    expect(measured.p99Ms).toBeLessThanOrEqual(300);
    // The median is one of the fast ones.
    expect((await reader.clusterP99(5_000, 0.5)).p99Ms).toBeLessThanOrEqual(5);
    const [key] = await redis.keys(`${prefix}:search:latency:[0-9]*`);
    expect(await redis.ttl(key)).toBeGreaterThan(60);
  });

  it('keeps an idle baseline: set by the first idle window, then moved a little by each later one, once per window', async () => {
    // A prefix of its own: the first test's searches stay out of this one's windows.
    const own = loadConfig({ API_KEYS: 'k', REDIS_PREFIX: `${prefix}i` });
    const latency = new SearchLatency(redis, own, new Registry());
    recorders.push(latency);
    const windowMs = 5_000;
    expect(await latency.idleP99()).toBeNull();
    for (let i = 0; i < 100; i++) latency.record(9.5);
    await latency.flush();
    await latency.foldIdle(windowMs);
    const first = (await latency.idleP99())!;
    expect(first).toBeGreaterThan(8);
    expect(first).toBeLessThanOrEqual(10);
    for (let i = 0; i < 100; i++) latency.record(1_800);
    await latency.flush();
    // Within the same window: no second fold.
    await latency.foldIdle(windowMs);
    expect(await latency.idleP99()).toBe(first);
    await redis.del(`${prefix}i:search:latency:idle-p99:folded`);
    await latency.foldIdle(windowMs);
    const moved = (await latency.idleP99())!;
    // A tenth of the way toward the slow window's p99 (1.5–2 s), not all of it.
    expect(moved).toBeGreaterThan(first + 0.05 * (1_500 - first));
    expect(moved).toBeLessThan(first + 0.2 * (2_000 - first));
  });

  it('never throws nor waits for an unreachable Redis: the seconds are lost and counted', async () => {
    const privateRedis = await startPrivateRedis();
    const client = new Redis(privateRedis.url, { maxRetriesPerRequest: 3 });
    const registry = new Registry();
    const latency = recorder(client, registry);
    try {
      await privateRedis.kill();
      // Recording is memory only: nothing to wait for, nothing to throw.
      for (let i = 0; i < 1_000; i++) latency.record(3);
      await expect(latency.flush()).resolves.toBeUndefined();
      const failures = await registry.getSingleMetricAsString('embsvc_search_latency_flush_failures_total');
      expect(failures).toMatch(/embsvc_search_latency_flush_failures_total 1$/m);
      await expect(latency.clusterP99(1_000)).rejects.toThrow();
      // Back up: the next flush goes through again.
      await privateRedis.start();
      latency.record(3);
      await latency.flush();
      expect((await latency.clusterP99(2_000)).samples).toBe(1);
    } finally {
      // Quit on a live server: a client whose commands failed against a dead one keeps a timer that holds Jest open.
      await client.quit().catch(() => client.disconnect());
      await privateRedis.stop();
    }
  });
});
