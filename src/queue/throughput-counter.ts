import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.tokens';

const BUCKET_MS = 10_000;
const BUCKETS_KEPT = 30;

/**
 * Pairs embedded per 10 s bucket, summed over every worker in Redis. Losing it (Redis
 * wiped) only blanks the throughput figure for five minutes.
 */
@Injectable()
export class ThroughputCounter {
  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = `${config.redis.prefix}:stats:embedded:`;
  }

  async record(count: number): Promise<void> {
    if (count === 0) return;
    const key = this.prefix + Math.floor(Date.now() / BUCKET_MS);
    await this.redis
      .multi()
      .incrby(key, count)
      .pexpire(key, BUCKET_MS * (BUCKETS_KEPT + 2))
      .exec();
  }

  /** Totals over the last minute and the last five minutes. */
  async read(): Promise<{ lastMinute: number; lastFiveMinutes: number; perSecondFiveMinutes: number }> {
    const now = Math.floor(Date.now() / BUCKET_MS);
    const values = (await this.redis.mget(Array.from({ length: BUCKETS_KEPT }, (_, i) => this.prefix + (now - i)))).map(Number);
    const lastMinute = values.slice(0, 60_000 / BUCKET_MS).reduce((a, b) => a + b, 0);
    const lastFiveMinutes = values.reduce((a, b) => a + b, 0);
    return { lastMinute, lastFiveMinutes, perSecondFiveMinutes: Math.round((lastFiveMinutes / 300) * 100) / 100 };
  }
}
