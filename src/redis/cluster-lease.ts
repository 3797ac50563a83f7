import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { REDIS } from './redis.tokens';

const RELEASE_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Makes scheduled work run once per cluster, not once per process: whoever sets the
 * lease key first runs; the key expires by itself if its holder dies.
 */
@Injectable()
export class ClusterLease {
  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = `${config.redis.prefix}:lease:`;
  }

  /**
   * Claims `name` for most of one `periodMs` and keeps it (no release), so the work runs at
   * most once per period however many schedulers tick. The lease lasts 0.9 × the period:
   * the next tick, a little late on a busy machine, must find it expired.
   */
  async claimPeriod(name: string, periodMs: number): Promise<boolean> {
    const ttlMs = Math.max(1, Math.round(periodMs * 0.9));
    const result = await this.redis.set(this.prefix + name, randomUUID(), 'PX', ttlMs, 'NX');
    return result === 'OK';
  }

  /** Runs `fn` only if no other process holds `name`; releases when done. Returns false if skipped. */
  async runExclusive(name: string, ttlMs: number, fn: () => Promise<void>): Promise<boolean> {
    const key = this.prefix + name;
    const token = randomUUID();
    if ((await this.redis.set(key, token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX')) !== 'OK') return false;
    try {
      await fn();
    } finally {
      await this.redis.eval(RELEASE_IF_OWNER, 1, key, token).catch(() => undefined);
    }
    return true;
  }
}
