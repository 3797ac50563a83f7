import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.tokens';

/** Long enough to outlive any pause; short enough that an abandoned window does not linger. */
const WINDOW_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * The jobs a migration has queued and not yet seen finish: a sorted set of job ids (scored
 * by enqueue time) in Redis, next to the jobs it describes. Losing it with a Redis wipe is
 * harmless: the jobs are gone too, and the migration's next pass finds their pairs again.
 */
@Injectable()
export class MigrationWindow {
  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = `${config.redis.prefix}:migration:`;
  }

  async jobIds(migrationId: string): Promise<string[]> {
    return this.redis.zrange(this.key(migrationId), 0, -1);
  }

  async add(migrationId: string, jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    const now = Date.now();
    const key = this.key(migrationId);
    await this.redis
      .multi()
      .zadd(key, ...jobIds.flatMap((id) => [now, id]))
      .pexpire(key, WINDOW_TTL_MS)
      .exec();
  }

  async remove(migrationId: string, jobIds: string[]): Promise<void> {
    if (jobIds.length > 0) await this.redis.zrem(this.key(migrationId), ...jobIds);
  }

  async clear(migrationId: string): Promise<void> {
    await this.redis.del(this.key(migrationId));
  }

  private key(migrationId: string): string {
    return `${this.prefix}${migrationId}:window`;
  }
}
