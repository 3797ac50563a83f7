import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import type { FakeOpenAIControl } from '../../tools/fake-openai';
import { percentile, round, scaled, type BenchContext, type Benchmark } from '../support/benchmark';
import { createBenchEnvironment } from '../support/bench-environment';
import { BENCH_ADMIN_KEY, BENCH_FAKE_KEY, spawnBenchService, startBenchFake } from '../support/bench-service';

const FULL_SIZE = 100_000;
const FROM = 'text-embedding-ada-002';
const TO = 'text-embedding-3-small';
const BULK = 5_000;
const IDLE_SEARCHES = 300;
const QUERIES = ['how do I rotate an api key', 'export invoices to csv', 'reset two factor login', 'webhook retries', 'team seats billing'];

interface Client {
  /** `T`: the shape the caller reads from the answer's JSON body (not checked). */
  request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export const migrationBenchmark: Benchmark = {
  name: 'migration',
  description:
    'Migrates every embedding from text-embedding-ada-002 to text-embedding-3-small (both 1536-d) with the fake provider in its own process, ' +
    'one worker process and the API + scheduler in this one: migration rate against the plain ingest rate measured in the same run, and ' +
    'search latency while the migration runs against idle; once with the worker defaults and once with one batch in flight per worker.',
  async run(context: BenchContext) {
    const n = scaled(FULL_SIZE, context.scale, 500);
    const standard = await measure(context, n, {});
    context.log('again with one batch in flight per worker');
    const oneBatch = await measure(context, n, { QUEUE_CONCURRENCY: String(ONE_BATCH), QUEUE_BATCH_MAX_INPUTS: String(ONE_BATCH) });
    return {
      figures: {
        pairs: n,
        ...standard.figures(''),
        migration_provider_requests: standard.providerRequests,
        ...oneBatch.figures('_one_batch_in_flight'),
      },
      notes: {
        setup:
          `${n} pairs embedded under ${FROM} by one worker process, then migrated to ${TO} with the default window ` +
          '(batch 100 × 20); the fake provider runs in its own process with no latency; the database, the worker, the API and ' +
          'the fake share the 2 cores',
        settings:
          'unsuffixed figures: the worker defaults (QUEUE_CONCURRENCY 512, batches ≤ 256: two batches in flight); ' +
          `_one_batch_in_flight: a fresh database and worker with QUEUE_CONCURRENCY = QUEUE_BATCH_MAX_INPUTS = ${ONE_BATCH}, ` +
          'for ingest and migration alike',
        rates: 'ingest = first bulk POST until every pair is embedded; migration = start until filled (comparison and cutover excluded)',
        search:
          'one client, sequential POST /search (limit 10) over HTTP to the API in this process; idle = after the ingest, before the migration; ' +
          'during_ingest = while the plain ingest runs, for reference (the same CPU-bound work as the migration)',
      },
    };
  },
};

const ONE_BATCH = 256;

/** One fresh environment: ingest n pairs, search idle, migrate while searching. */
async function measure(context: BenchContext, n: number, workerEnv: Record<string, string>) {
  const environment = await createBenchEnvironment('migration');
  const fake = await startBenchFake();
  const env: Record<string, string> = {
    DATABASE_URL: environment.databaseUrl,
    REDIS_URL: environment.redisUrl,
    REDIS_PREFIX: environment.redisPrefix,
    ADMIN_API_KEYS: BENCH_ADMIN_KEY,
    OPENAI_API_KEY: BENCH_FAKE_KEY,
    OPENAI_BASE_URL: fake.baseURL,
    EMBEDDING_MODEL: FROM,
    LOG_LEVEL: 'warn',
    RECONCILE_INTERVAL_MS: '600000',
  };
  const worker = await spawnBenchService({ ...env, ...workerEnv, ROLE: 'worker' });
  const app = (await createApp(loadConfig({ ...env, ROLE: 'api,scheduler', PORT: '0' }))) as INestApplication;
  await app.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const client: Client = {
    async request<T>(method: string, path: string, body?: unknown) {
      const response = await fetch(baseUrl + path, {
        method,
        headers: { 'x-api-key': BENCH_ADMIN_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
  };
  const db = await new DataSource(dataSourceOptions({ url: environment.databaseUrl, poolSize: 2, statementTimeoutMs: 0 })).initialize();
  try {
    const ingested = await ingest(client, db, n, context);
    context.log(`ingested ${n} pairs in ${round(ingested.seconds, 1)} s`);
    const idle = await searchFor(client, () => IDLE_SEARCHES);
    context.log(`idle search: p50 ${round(percentile(idle.latencies, 50), 1)} ms, p99 ${round(percentile(idle.latencies, 99), 1)} ms`);
    const migration = await migrate(client, fake.control, context);
    const during = migration.search;
    context.log(`migrated in ${round(migration.seconds, 1)} s; ${during.latencies.length} searches meanwhile`);
    return {
      providerRequests: migration.providerRequests,
      figures: (suffix: string) => ({
        [`migration_pairs_per_s${suffix}`]: round(n / migration.seconds, 1),
        [`ingest_pairs_per_s${suffix}`]: round(n / ingested.seconds, 1),
        [`migration_vs_ingest${suffix}`]: round(ingested.seconds / migration.seconds, 3),
        [`search_p50_ms_idle${suffix}`]: round(percentile(idle.latencies, 50), 2),
        [`search_p99_ms_idle${suffix}`]: round(percentile(idle.latencies, 99), 2),
        [`search_p50_ms_during${suffix}`]: round(percentile(during.latencies, 50), 2),
        [`search_p99_ms_during${suffix}`]: round(percentile(during.latencies, 99), 2),
        [`search_p99_during_vs_idle${suffix}`]: round(percentile(during.latencies, 99) / percentile(idle.latencies, 99), 2),
        [`search_errors_during${suffix}`]: during.errors,
        [`searches_during${suffix}`]: during.latencies.length,
        [`search_p50_ms_during_ingest${suffix}`]: round(percentile(ingested.search.latencies, 50), 2),
        [`search_p99_ms_during_ingest${suffix}`]: round(percentile(ingested.search.latencies, 99), 2),
        [`search_errors_during_ingest${suffix}`]: ingested.search.errors,
      }),
    };
  } finally {
    await db.destroy();
    await app.close();
    await worker.stop();
    await fake.stop();
    await environment.destroy();
  }
}

async function ingest(client: Client, db: DataSource, n: number, context: BenchContext) {
  const started = performance.now();
  let done = false;
  let search: ReturnType<typeof searchFor> | undefined;
  for (let offset = 0; offset < n; offset += BULK) {
    const items = Array.from({ length: Math.min(BULK, n - offset) }, (_, k) => {
      const i = offset + k;
      return {
        question: `How do I ${QUERIES[i % QUERIES.length]} for workspace ${i} in region ${i % 41}?`,
        answer: `Open the admin console, choose workspace ${i}, then follow step ${i % 17} of guide ${i % 97}.`,
        category: `topic-${i % 12}`,
      };
    });
    const response = await client.request('POST', '/api/v1/qa-pairs/bulk', { items });
    if (response.status !== 201) throw new Error(`bulk create answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  let last = 0;
  for (;;) {
    const [row] = await db.query(`SELECT count(*)::int AS n FROM embeddings`);
    // Searching starts once a search can fill its 10 results.
    search ??= row.n >= 10 ? searchFor(client, () => (done ? 0 : Number.POSITIVE_INFINITY)) : undefined;
    if (row.n >= n) {
      const seconds = (performance.now() - started) / 1000;
      done = true;
      return { seconds, search: (await search) ?? { latencies: [], errors: 0 } };
    }
    if (row.n - last >= n / 10) {
      context.log(`ingest: ${row.n} of ${n}`);
      last = row.n;
    }
    await sleep(100);
  }
}

/** The fields of GET /migrations/:id this bench reads. */
interface MigrationBody {
  state: string;
  reason: string | null;
  createdAt: string;
  filledAt: string | null;
  pairsPerSecond: number | null;
  progress: { percentage: number };
}

async function migrate(client: Client, fake: FakeOpenAIControl, context: BenchContext) {
  const providerBefore = (await fake.stats()).byModel[TO]?.requests ?? 0;
  const started = await client.request<{ id: string }>('POST', '/api/v1/migrations', { fromModel: FROM, toModel: TO });
  if (started.status !== 201) throw new Error(`migration start answered ${started.status}: ${JSON.stringify(started.body)}`);
  const id: string = started.body.id;
  let filled: { createdAt: string; filledAt: string } | undefined;
  const watcher = (async () => {
    let lastLogged = -10;
    for (;;) {
      const { body } = await client.request<MigrationBody>('GET', `/api/v1/migrations/${id}`);
      if (body.filledAt) return (filled = { createdAt: body.createdAt, filledAt: body.filledAt });
      if (['failed', 'cancelled'].includes(body.state)) throw new Error(`migration ${body.state}: ${body.reason}`);
      if (body.progress.percentage - lastLogged >= 10) {
        context.log(`migration: ${body.progress.percentage} % at ${body.pairsPerSecond} pairs/s`);
        lastLogged = body.progress.percentage;
      }
      await sleep(250);
    }
  })();
  const search = await searchFor(client, () => (filled ? 0 : Number.POSITIVE_INFINITY));
  await watcher;
  const seconds = (Date.parse(filled!.filledAt) - Date.parse(filled!.createdAt)) / 1000;
  return { seconds, search, providerRequests: ((await fake.stats()).byModel[TO]?.requests ?? 0) - providerBefore };
}

/** Sequential searches while `remaining()` is above the count done so far. */
async function searchFor(client: Client, remaining: () => number): Promise<{ latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  for (let i = 0; i < remaining(); i++) {
    const query = `${QUERIES[i % QUERIES.length]} workspace ${i % 500}`;
    const started = performance.now();
    const response = await client
      .request<{ results: unknown[] } | undefined>('POST', '/api/v1/search', { query, limit: 10 })
      .catch(() => ({ status: 0, body: undefined }));
    latencies.push(performance.now() - started);
    if (response.status !== 200 || response.body?.results.length !== 10) errors++;
  }
  return { latencies, errors };
}
