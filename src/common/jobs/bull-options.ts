import { BullAdapter } from '@bull-board/api/bullAdapter';
import { BullBoardModule } from '@bull-board/nestjs';
import { BullModule } from '@nestjs/bull';
import type { DynamicModule } from '@nestjs/common';
import type { JobCounts, JobOptions, QueueOptions } from 'bull';
import type { RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { BACKOFF_STRATEGY, type QueueName, type QueueSettings, queueSettings } from './queue-settings';

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

/** What `queue.getJobCounts()` answers: Bull counts paused jobs too, which its typings omit. */
export type BullJobCounts = JobCounts & { paused?: number };

/** A queue's Bull options: our key prefix and connections, its locks, stall checks and backoff (`queueSettings`). */
export function bullQueueOptions(config: AppConfig, name: QueueName): QueueOptions {
  const settings = queueSettings(config)[name];
  return {
    prefix: config.redis.prefix,
    redis: bullRedisOptions(config.redis.url),
    settings: {
      lockDuration: settings.lockDurationMs,
      lockRenewTime: settings.lockRenewTimeMs,
      stalledInterval: settings.stalledIntervalMs,
      maxStalledCount: settings.maxStalledCount,
      ...(settings.backoff && { backoffStrategies: { [BACKOFF_STRATEGY]: settings.backoff } }),
    },
  };
}

/** The options every job of a queue is added with (`queueSettings`); callers add its id, priority, delay. */
export function bullJobOptions(settings: QueueSettings): JobOptions {
  return {
    attempts: settings.attempts,
    ...(settings.backoff && { backoff: { type: BACKOFF_STRATEGY } }),
    removeOnComplete: settings.removeOnComplete,
    removeOnFail: settings.removeOnFail,
  };
}

/** Registers a queue with Bull (options from `queueSettings`) and with Bull Board. */
export function registerBullQueue(name: QueueName): DynamicModule[] {
  return [
    BullModule.registerQueueAsync({ name, inject: [APP_CONFIG], useFactory: (config: AppConfig) => bullQueueOptions(config, name) }),
    BullBoardModule.forFeature({ name, adapter: BullAdapter }),
  ];
}
