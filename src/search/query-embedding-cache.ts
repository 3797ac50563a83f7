import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LuaScript } from '../circuit-breaker/lua-script';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.tokens';

/**
 * Stores one entry and keeps the cache bounded: an index (sorted set by time of writing)
 * lets the oldest entries go once there are more than the maximum, and forgets expired ones.
 * KEYS: entry, index. ARGV: vector (base64 float32), ttl ms, max entries.
 */
const PUT_LUA = `
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], nowMs, KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', nowMs - ttl)
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #oldest, 2 do redis.call('DEL', oldest[i]) end
end
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
`;
const PUT_SCRIPT = new LuaScript(PUT_LUA);

/**
 * Query embeddings shared by every API process through Redis: the same normalised query
 * under the same model reuses its vector, spending no tokens and not touching the provider.
 * Redis trouble is a miss, never a failed search.
 */
@Injectable()
export class QueryEmbeddingCache {
  private readonly logger = new Logger(QueryEmbeddingCache.name);
  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.prefix = `${config.redis.prefix}:search:query-vector:`;
  }

  get enabled(): boolean {
    return this.config.search.cacheTtlS > 0;
  }

  async get(modelId: number, query: string): Promise<Float32Array | undefined> {
    if (!this.enabled) return undefined;
    try {
      const encoded = await this.redis.get(this.key(modelId, query));
      const bytes = encoded ? Buffer.from(encoded, 'base64') : undefined;
      if (!bytes || bytes.length % 4 !== 0) return undefined;
      const vector = new Float32Array(bytes.length / 4);
      new Uint8Array(vector.buffer).set(bytes);
      return vector;
    } catch (error) {
      this.logger.warn({ err: error }, 'query cache read failed; embedding the query');
      return undefined;
    }
  }

  async put(modelId: number, query: string, vector: Float32Array): Promise<void> {
    if (!this.enabled) return;
    const encoded = Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
    try {
      await PUT_SCRIPT.run(
        this.redis,
        [this.key(modelId, query), `${this.prefix}index`],
        [encoded, this.config.search.cacheTtlS * 1000, this.config.search.cacheMaxEntries],
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'query cache write failed');
    }
  }

  private key(modelId: number, query: string): string {
    return this.prefix + createHash('sha256').update(`${modelId}\0${query}`).digest('hex');
  }
}
