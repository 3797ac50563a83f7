import type { QueueOptions } from 'bull';
import type { RedisOptions } from 'ioredis';
import type { AppConfig } from '../config/app-config';

/**
 * Connection options for Bull, which opens (and closes) its three connections itself. Bull
 * forces the blocking and subscriber ones to retry forever; the command one gives up
 * after a few retries, so a producer fails fast while Redis is down (the reconciler
 * re-enqueues later) instead of hanging an API request.
 */
export function bullRedisOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    db: Number(parsed.pathname.slice(1) || 0),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: 3,
    enableReadyCheck: false,
  };
}

/** What every Bull queue of ours shares: key prefix, connections, job locks and stall checks. */
export function bullQueueOptions(config: AppConfig, settings: QueueOptions['settings'] = {}): QueueOptions {
  return {
    prefix: config.redis.prefix,
    redis: bullRedisOptions(config.redis.url),
    settings: {
      lockDuration: config.queue.lockDurationMs,
      lockRenewTime: Math.floor(config.queue.lockDurationMs / 2),
      stalledInterval: config.queue.stalledIntervalMs,
      maxStalledCount: 1,
      ...settings,
    },
  };
}
