import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';

export const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A migrated database and a Redis prefix of one benchmark's own, removed afterwards. */
export interface BenchEnvironment {
  databaseName: string;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  destroy(): Promise<void>;
}

export async function createBenchEnvironment(label: string): Promise<BenchEnvironment> {
  const suffix = randomBytes(4).toString('hex');
  const databaseName = `emb_bench_${label.replace(/[^a-z0-9_]/g, '_')}_${suffix}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${databaseName}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${databaseName}`;
  const databaseUrl = url.toString();
  const dataSource = await new DataSource(dataSourceOptions({ url: databaseUrl, poolSize: 2, statementTimeoutMs: 0 })).initialize();
  try {
    await dataSource.runMigrations();
  } finally {
    await dataSource.destroy();
  }
  const redisPrefix = `b${label.slice(0, 6)}${suffix}`;
  return {
    databaseName,
    databaseUrl,
    redisUrl: REDIS_URL,
    redisPrefix,
    destroy: async () => {
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
      await deleteRedisKeys(redisPrefix);
    },
  };
}

export async function withAdmin<T>(fn: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** Removes every key under `prefix:` (a service's REDIS_PREFIX) from the benchmarks' Redis. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
