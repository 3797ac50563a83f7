import type { INestApplication } from '@nestjs/common';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { spawnFakeOpenAI, type SpawnedFakeOpenAI } from '../../tools/fake-openai';
import { type BenchEnvironment, createBenchEnvironment } from './bench-environment';
import type { CorpusPair } from './qa-corpus';

export const BENCH_USER_KEY = 'bench-user-key';
export const BENCH_ADMIN_KEY = 'bench-admin-key';
/** The key the bench fake accepts (the service's OPENAI_API_KEY). */
export const BENCH_FAKE_KEY = 'sk-bench';

/** The fake provider in a process of its own, so it never shares an event loop with the service. */
export function startBenchFake(): Promise<SpawnedFakeOpenAI> {
  return spawnFakeOpenAI({ apiKeys: [BENCH_FAKE_KEY] });
}

export function benchServiceEnv(environment: BenchEnvironment, fake: SpawnedFakeOpenAI, overrides: Record<string, string> = {}) {
  return {
    ROLE: 'all',
    DATABASE_URL: environment.databaseUrl,
    DATABASE_POOL_SIZE: '10',
    REDIS_URL: environment.redisUrl,
    REDIS_PREFIX: environment.redisPrefix,
    API_KEYS: BENCH_USER_KEY,
    ADMIN_API_KEYS: BENCH_ADMIN_KEY,
    LOG_LEVEL: 'error',
    OPENAI_API_KEY: BENCH_FAKE_KEY,
    OPENAI_BASE_URL: fake.baseURL,
    EMBEDDING_MODEL: 'text-embedding-3-small',
    RECONCILE_INTERVAL_MS: '600000',
    BODY_LIMIT_MB: '64',
    ...overrides,
  };
}

/** The service in this process (all roles), listening on a random loopback port. */
export class BenchService {
  private constructor(
    readonly app: INestApplication,
    readonly baseUrl: string,
    readonly db: DataSource,
  ) {}

  static async start(env: Record<string, string>): Promise<BenchService> {
    const app = (await createApp(loadConfig(env))) as INestApplication;
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const db = await new DataSource(dataSourceOptions({ url: env.DATABASE_URL, poolSize: 3, statementTimeoutMs: 0 })).initialize();
    return new BenchService(app, `http://127.0.0.1:${port}`, db);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- benches read response fields directly; a caller names T where it keeps a value
  async request<T = any>(method: string, path: string, body?: unknown, key = BENCH_USER_KEY): Promise<T> {
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async count(sql: string, params: unknown[] = []): Promise<number> {
    const [row] = await this.db.query(sql, params);
    return Number(Object.values(row)[0]);
  }

  /** Polls until `sql` (a count) reaches `target`; returns the time it did. */
  async waitForCount(sql: string, target: number, timeoutMs = 3_600_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((await this.count(sql)) >= target) return performance.now();
      if (Date.now() > deadline) throw new Error(`${sql} did not reach ${target} in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.app.close();
  }
}

/**
 * A fresh environment (`label` names its database), the fake in a process of its own and the
 * service in this one with `overrides`; all three torn down after `fn`.
 */
export async function withBenchService<T>(
  label: string,
  overrides: Record<string, string>,
  fn: (service: BenchService, fake: SpawnedFakeOpenAI, environment: BenchEnvironment) => Promise<T>,
): Promise<T> {
  const environment = await createBenchEnvironment(label);
  const fake = await startBenchFake();
  const service = await BenchService.start(benchServiceEnv(environment, fake, overrides));
  try {
    return await fn(service, fake, environment);
  } finally {
    await service.close();
    await fake.stop();
    await environment.destroy();
  }
}

/**
 * Creates `corpus` through the API in bulk requests of `bulk` and waits until every pair is
 * embedded: pairs per second from the first request to the last embedding.
 */
export async function bulkIngestRate(service: BenchService, corpus: CorpusPair[], bulk: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < corpus.length; i += bulk) await service.request('POST', '/api/v1/qa-pairs/bulk', { items: corpus.slice(i, i + bulk) });
  const done = await service.waitForCount(`SELECT count(*) FROM embeddings`, corpus.length);
  return corpus.length / ((done - started) / 1000);
}

/** A service started by `spawnBenchService`. */
export interface SpawnedBenchService {
  pid: number | undefined;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * The compiled service in a child process (a worker pod, say), stopped with SIGTERM. It
 * runs outside the repo root so a developer's .env cannot leak into the benchmark.
 */
export async function spawnBenchService(env: Record<string, string>, startTimeoutMs = 60_000): Promise<SpawnedBenchService> {
  const main = join(__dirname, '..', '..', 'src', 'main.js');
  const child: ChildProcess = spawn(process.execPath, [main], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output.slice(-2000)}`)), startTimeoutMs);
    child.stdout!.on('data', () => {
      if (output.includes('embedding service started')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}:\n${output.slice(-2000)}`));
    });
  });
  return {
    pid: child.pid,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
