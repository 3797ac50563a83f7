import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap';
import { type AppConfig, loadConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { createTestDatabase, dropTestDatabase } from './test-database';
import { TEST_REDIS_URL, testRunId } from './test-env';

export const USER_KEY = 'test-user-key';
export const ADMIN_KEY = 'test-admin-key';

/** Settings for a test's app: its own database and Redis prefix, fast timings. */
export interface TestEnvironment {
  env: Record<string, string>;
  databaseName: string;
  databaseUrl: string;
  redisPrefix: string;
}

export async function createTestEnvironment(overrides: Record<string, string> = {}): Promise<TestEnvironment> {
  const database = await createTestDatabase();
  const redisPrefix = `t${testRunId()}${randomBytes(3).toString('hex')}`;
  return {
    databaseName: database.name,
    databaseUrl: database.url,
    redisPrefix,
    env: {
      ROLE: 'all',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: '5',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      API_KEYS: USER_KEY,
      ADMIN_API_KEYS: ADMIN_KEY,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      QUEUE_BATCH_QUIET_MS: '5',
      QUEUE_BATCH_MAX_WAIT_MS: '50',
      QUEUE_BACKOFF_BASE_MS: '50',
      QUEUE_BACKOFF_CAP_MS: '500',
      RECONCILE_INTERVAL_MS: '600000',
      SHUTDOWN_GRACE_MS: '5000',
      ...overrides,
    },
  };
}

/** A running instance of the service on a random loopback port, plus helpers to talk to it. */
export class TestApp {
  private constructor(
    readonly app: INestApplication | INestApplicationContext,
    readonly config: AppConfig,
    readonly environment: TestEnvironment,
    readonly baseUrl: string,
  ) {}

  static async start(environment: TestEnvironment, overrides: Record<string, string> = {}): Promise<TestApp> {
    const config = loadConfig({ ...environment.env, ...overrides });
    const app = await createApp(config);
    let baseUrl = '';
    if ('listen' in app) {
      await (app as INestApplication).listen(0, '127.0.0.1');
      const address = (app as INestApplication).getHttpServer().address() as AddressInfo;
      baseUrl = `http://127.0.0.1:${address.port}`;
    }
    return new TestApp(app, config, environment, baseUrl);
  }

  get<T>(token: { new (...args: never[]): T } | symbol | string): T {
    return this.app.get(token as never) as T;
  }

  /** Calls the API with the user key (or the given one); returns status, body and headers. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on response bodies with toMatchObject/toEqual; a typed T where a test keeps a value
  async request<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; key?: string | null; headers?: Record<string, string>; rawBody?: string } = {},
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const key = options.key === undefined ? USER_KEY : options.key;
    if (key) headers['x-api-key'] = key;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    } else if (body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(this.baseUrl + path, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text.length ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

/** Removes a test environment's database and Redis keys. */
export async function destroyTestEnvironment(environment: TestEnvironment): Promise<void> {
  await dropTestDatabase(environment.databaseName);
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${environment.redisPrefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A direct connection to a test database, for assertions on rows. */
export async function openDatabase(url: string): Promise<DataSource> {
  return new DataSource(dataSourceOptions({ url, poolSize: 3, statementTimeoutMs: 0 })).initialize();
}

/** Polls until `check` returns a truthy value or the timeout passes (then throws with the last value). */
export async function waitFor<T>(check: () => Promise<T>, timeoutMs = 30_000, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last as NonNullable<T>;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
}
