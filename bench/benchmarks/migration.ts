import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { EmbeddingModelsService } from '../../src/embeddings/embedding-models.service';
import { hnswIndexName } from '../../src/embeddings/vector-sql';
import type { PacingState } from '../../src/model-migration/migration-pacing';
import { SearchLatency } from '../../src/search/search-latency';
import type { FakeOpenAIControl } from '../../tools/fake-openai';
import { percentile, round, scaled, type BenchContext, type Benchmark } from '../support/benchmark';
import { createBenchEnvironment } from '../support/bench-environment';
import { BENCH_ADMIN_KEY, BENCH_FAKE_KEY, spawnBenchService, startBenchFake } from '../support/bench-service';

const FULL_SIZE = 100_000;
const FROM = 'text-embedding-ada-002';
const TO = 'text-embedding-3-small';
const BULK = 5_000;
const IDLE_SEARCHES = 300;
/** The paced run searches idle until the service has an idle baseline (a quiet measuring window or two), at most this long. */
const IDLE_BASELINE_TIMEOUT_MS = 90_000;
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
    'search latency while the migration runs against idle; with the worker defaults, with one batch in flight per worker, with pacing on, ' +
    'and with the target loaded without its HNSW index (built concurrently before the cutover).',
  async run(context: BenchContext) {
    const n = scaled(FULL_SIZE, context.scale, 500);
    const unpaced = { MIGRATION_PACING: 'false' };
    const standard = await measure(context, n, { app: unpaced });
    context.log('again with one batch in flight per worker');
    const oneBatch = await measure(context, n, {
      app: unpaced,
      worker: { QUEUE_CONCURRENCY: String(ONE_BATCH), QUEUE_BATCH_MAX_INPUTS: String(ONE_BATCH) },
    });
    context.log('again with pacing on (the defaults: search p99 budget 1.5 × idle)');
    const paced = await measure(context, n, { app: { MIGRATION_PACING: 'true' }, waitForIdleBaseline: true });
    context.log('again with the target loaded without its HNSW index, built concurrently before the cutover');
    const deferred = await measure(context, n, { app: unpaced, deferIndex: true });
    context.log('again on the batch lane (the Batch API of the fake, its batches taking 1 s)');
    const batch = await measure(context, n, { app: { ...unpaced, BATCH_LANE_POLL_MS: '500' }, lane: 'batch' });
    return {
      figures: {
        pairs: n,
        ...standard.figures(''),
        migration_provider_requests: standard.providerRequests,
        ...oneBatch.figures('_one_batch_in_flight'),
        ...paced.figures('_paced'),
        ...deferred.figures('_deferred_index'),
        ...batch.figures('_batch_lane'),
        batch_cost_ratio: round(Number(batch.migrationCostUsd) / Number(standard.migrationCostUsd), 4),
        live_tokens_used_during_batch: batch.liveTokens,
        batch_import_pairs_per_s: batch.importPairsPerSecond ?? Number.NaN,
        batch_import_vs_live_migration: round((batch.importPairsPerSecond ?? Number.NaN) / (n / standard.migrationSeconds), 2),
      },
      notes: {
        setup:
          `${n} pairs embedded under ${FROM} by one worker process, then migrated to ${TO} with the default window ` +
          '(batch 100 × 20); the fake provider runs in its own process with no latency; the database, the worker, the API and ' +
          'the fake share the 2 cores',
        settings:
          'unsuffixed figures: the worker defaults (QUEUE_CONCURRENCY 512, batches ≤ 256: two batches in flight), pacing off; ' +
          `_one_batch_in_flight: a fresh database and worker with QUEUE_CONCURRENCY = QUEUE_BATCH_MAX_INPUTS = ${ONE_BATCH}, ` +
          'for ingest and migration alike, pacing off; _paced: the worker defaults with MIGRATION_PACING on at its defaults ' +
          '(budget 1.5 × the idle p99 the service measured itself, 10 s window), the idle searches going on until that baseline exists; ' +
          '_deferred_index: the worker defaults, pacing off, the target index dropped right after the start and built ' +
          '(CREATE INDEX CONCURRENTLY) once the migration is filled, then the cutover',
        rates: 'ingest = first bulk POST until every pair is embedded; migration = start until filled (comparison and cutover excluded)',
        search:
          'one client, sequential POST /search (limit 10) over HTTP to the API in this process; idle = after the ingest, before the migration; ' +
          'during_ingest = while the plain ingest runs, for reference (the same CPU-bound work as the migration)',
        pacing:
          'pacing_window_*: the window GET /migrations/{id} reported, polled every 250 ms while filling (mean over the polls, in pairs; ' +
          'maximum 2000); pacing_budget_ms / pacing_idle_p99_ms: what the service paced against, measured by itself (server-side, ' +
          'without the HTTP client round trip the search_* figures include)',
        batch_lane:
          '_batch_lane: the same migration with lane=batch (the fake completes each batch 1 s after it is created; the poller looks every 0.5 s); ' +
          'batch_cost_ratio: ledger cost of its migration tokens over the live run above (goal 0.5: the batch price is half); ' +
          'live_tokens_used_during_batch: tokens the fake billed on the live embeddings endpoint for the target while it ran (goal 0); ' +
          'batch_import_pairs_per_s: pairs imported over the time spent importing (from the poll that saw a batch end to its import), ' +
          'against the live migration rate',
        deferred_index:
          'index_build_s: CREATE INDEX CONCURRENTLY of the filled target (maintenance_work_mem as configured); ' +
          'migration_total_s: start until the index is built (fill, comparison, build; the cutover itself is one transaction), ' +
          'against migration_pairs_per_s of the other runs, whose index grows during the fill; ' +
          'search_*_during_index_build: while the index builds (search still on the source)',
      },
    };
  },
};

const ONE_BATCH = 256;

interface RunOptions {
  /** Settings of the worker process, and of the API + scheduler in this one. */
  worker?: Record<string, string>;
  app?: Record<string, string>;
  /** Search idle until the service has an idle search baseline (pacing's ratio budget needs one). */
  waitForIdleBaseline?: boolean;
  /** Drop the target's index right after the start; build it once filled, then cut over. */
  deferIndex?: boolean;
  /** The migration's lane (default live). */
  lane?: 'live' | 'batch';
}

/** One fresh environment: ingest n pairs, search idle, migrate while searching. */
async function measure(context: BenchContext, n: number, options: RunOptions) {
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
  const worker = await spawnBenchService({ ...env, ...options.worker, ROLE: 'worker' });
  const app = (await createApp(loadConfig({ ...env, ...options.app, ROLE: 'api,scheduler', PORT: '0' }))) as INestApplication;
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
    const latency = app.get(SearchLatency);
    const idleBaseline = async () => {
      if (!options.waitForIdleBaseline) return true;
      if ((await latency.idleP99()) !== null) return true;
      if (performance.now() - idleStarted > IDLE_BASELINE_TIMEOUT_MS) throw new Error('no idle search baseline after idling');
      return false;
    };
    const idleStarted = performance.now();
    let baselineKnown = false;
    const idle = await searchFor(
      client,
      () => (baselineKnown ? IDLE_SEARCHES : Number.POSITIVE_INFINITY),
      async () => {
        baselineKnown ||= await idleBaseline();
      },
    );
    context.log(`idle search: p50 ${round(percentile(idle.latencies, 50), 1)} ms, p99 ${round(percentile(idle.latencies, 99), 1)} ms`);
    if (options.lane === 'batch') await fake.control.configure({ batches: { completionMs: 1_000 } });
    const liveTokensBefore = (await fake.control.stats()).byModel[TO]?.tokens ?? 0;
    const migration = await migrate(client, fake.control, context, options.deferIndex ? { db, app } : undefined, options.lane);
    const liveTokens = ((await fake.control.stats()).byModel[TO]?.tokens ?? 0) - liveTokensBefore;
    const [{ cost }]: Array<{ cost: string }> = await db.query(
      `SELECT coalesce(sum(cost_usd), 0)::text AS cost FROM usage_ledger WHERE purpose = 'migration'`,
    );
    const [imports]: Array<{ pairs: number; seconds: number | null }> = await db.query(
      `SELECT coalesce(sum(embedded), 0)::int AS pairs, sum(extract(epoch FROM imported_at - ended_at))::float AS seconds FROM embedding_batches`,
    );
    const during = migration.search;
    context.log(`migrated in ${round(migration.seconds, 1)} s; ${during.latencies.length} searches meanwhile`);
    const windows = migration.pacing.map((state) => state.windowSize);
    const lastPacing = migration.pacing[migration.pacing.length - 1];
    return {
      providerRequests: migration.providerRequests,
      migrationCostUsd: cost,
      migrationSeconds: migration.seconds,
      liveTokens,
      importPairsPerSecond: imports.seconds ? round(imports.pairs / imports.seconds, 1) : null,
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
        ...(options.app?.MIGRATION_PACING === 'true' && windows.length > 0
          ? {
              [`pacing_window_mean${suffix}`]: round(windows.reduce((sum, size) => sum + size, 0) / windows.length, 0),
              [`pacing_window_min${suffix}`]: Math.min(...windows),
              [`pacing_budget_ms${suffix}`]: lastPacing.budgetMs ?? Number.NaN,
              [`pacing_idle_p99_ms${suffix}`]: lastPacing.idleSearchP99Ms ?? Number.NaN,
            }
          : {}),
        ...(migration.deferred
          ? {
              [`index_build_s${suffix}`]: round(migration.deferred.buildSeconds, 1),
              [`migration_total_s${suffix}`]: round(migration.deferred.totalSeconds, 1),
              [`search_p50_ms_during_index_build${suffix}`]: round(percentile(migration.deferred.search.latencies, 50), 2),
              [`search_p99_ms_during_index_build${suffix}`]: round(percentile(migration.deferred.search.latencies, 99), 2),
              [`search_errors_during_index_build${suffix}`]: migration.deferred.search.errors,
            }
          : {}),
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
  pacing: PacingState | null;
}

/**
 * Starts the migration and searches until it is filled. With `deferred`, the target's index
 * is dropped right after the start (the first vectors may have gone into it: a few hundred
 * HNSW inserts at most), built concurrently once filled (searching meanwhile), then the cutover.
 */
async function migrate(
  client: Client,
  fake: FakeOpenAIControl,
  context: BenchContext,
  deferred?: { db: DataSource; app: INestApplication },
  lane: 'live' | 'batch' = 'live',
) {
  const providerBefore = (await fake.stats()).byModel[TO]?.requests ?? 0;
  const started = await client.request<{ id: string }>('POST', '/api/v1/migrations', {
    fromModel: FROM,
    toModel: TO,
    autoCutover: deferred === undefined,
    lane,
  });
  if (started.status !== 201) throw new Error(`migration start answered ${started.status}: ${JSON.stringify(started.body)}`);
  const id: string = started.body.id;
  const models = deferred?.app.get(EmbeddingModelsService);
  const target = models ? await models.getByName(TO) : undefined;
  if (deferred && target) await deferred.db.query(`DROP INDEX CONCURRENTLY IF EXISTS ${hnswIndexName(target)}`);
  const pacing: PacingState[] = [];
  let filled: { createdAt: string; filledAt: string } | undefined;
  const watcher = (async () => {
    let lastLogged = -10;
    for (;;) {
      const { body } = await client.request<MigrationBody>('GET', `/api/v1/migrations/${id}`);
      if (body.filledAt) return (filled = { createdAt: body.createdAt, filledAt: body.filledAt });
      if (['failed', 'cancelled'].includes(body.state)) throw new Error(`migration ${body.state}: ${body.reason}`);
      if (body.pacing) pacing.push(body.pacing);
      if (body.progress.percentage - lastLogged >= 10) {
        const window = body.pacing ? `, window ${body.pacing.windowSize} (p99 ${body.pacing.searchP99Ms} ms, budget ${body.pacing.budgetMs} ms)` : '';
        context.log(`migration: ${body.progress.percentage} % at ${body.pairsPerSecond} pairs/s${window}`);
        lastLogged = body.progress.percentage;
      }
      await sleep(250);
    }
  })();
  const search = await searchFor(client, () => (filled ? 0 : Number.POSITIVE_INFINITY));
  await watcher;
  const seconds = (Date.parse(filled!.filledAt) - Date.parse(filled!.createdAt)) / 1000;
  let build: { buildSeconds: number; totalSeconds: number; search: { latencies: number[]; errors: number } } | undefined;
  if (deferred && models && target) {
    await waitForState(client, id, 'ready');
    const buildStarted = performance.now();
    let built = false;
    const searching = searchFor(client, () => (built ? 0 : Number.POSITIVE_INFINITY));
    await models.ensureValidIndex(target);
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    built = true;
    build = { buildSeconds, totalSeconds: (Date.now() - Date.parse(filled!.createdAt)) / 1000, search: await searching };
    context.log(`index built in ${round(buildSeconds, 1)} s`);
    const cutover = await client.request('POST', `/api/v1/migrations/${id}/cutover`);
    if (cutover.status !== 200) throw new Error(`cutover answered ${cutover.status}: ${JSON.stringify(cutover.body)}`);
  }
  return {
    seconds,
    search,
    pacing,
    deferred: build,
    providerRequests: ((await fake.stats()).byModel[TO]?.requests ?? 0) - providerBefore,
  };
}

async function waitForState(client: Client, id: string, state: string): Promise<void> {
  for (;;) {
    const { body } = await client.request<MigrationBody>('GET', `/api/v1/migrations/${id}`);
    if (body.state === state) return;
    if (['failed', 'cancelled'].includes(body.state)) throw new Error(`migration ${body.state}: ${body.reason}`);
    await sleep(250);
  }
}

/** Sequential searches while `remaining()` is above the count done so far; `between` runs after each. */
async function searchFor(client: Client, remaining: () => number, between?: () => Promise<void>): Promise<{ latencies: number[]; errors: number }> {
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
    await between?.();
  }
  return { latencies, errors };
}
