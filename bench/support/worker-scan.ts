import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { toVectorLiteral } from '../../src/embeddings/vector-sql';
import { createBenchEnvironment } from './bench-environment';
import { BENCH_ADMIN_KEY, benchServiceEnv, BenchService, spawnBenchService, startBenchFake } from './bench-service';

/** Rows per INSERT statement (~17 MB of vector text at 1536 dimensions). */
const INSERT_BATCH = 1_000;
const INSERTS_IN_FLIGHT = 2;
const MODEL = 'text-embedding-3-small';

export interface WorkerScanResult {
  vectors: number;
  insertSeconds: number;
  /** The run's own timings: reading + signing every vector, then band sorts + exact checks. */
  loadSeconds: number;
  searchSeconds: number;
  /** From POST …/scans to the run completed, as a client sees it. */
  wallSeconds: number;
  /** VmHWM of the worker process that ran the scan: its peak resident set over its whole life. */
  peakRssMb: number;
  /** VmRSS of that worker just before the scan started (Node + Nest + pools). */
  idleRssMb: number;
  /** Found pairs as row numbers (ids are row numbers, see `rowId`). */
  pairs: Array<[number, number, number]>;
  truncated: boolean;
}

/** The uuid of row `row`: row numbers survive the round trip through the database. */
export function rowId(row: number): string {
  return `00000000-0000-4000-8000-${row.toString(16).padStart(12, '0')}`;
}

function rowOf(id: string): number {
  return Number.parseInt(id.slice(24), 16);
}

/**
 * Inserts `chunks` as the current embeddings of QA pairs in a fresh bench database (straight
 * SQL, the HNSW index dropped first: the scan never uses it and building it for a million
 * rows would take hours), then runs a background near-duplicate scan the way production
 * does: requested through the API (this process), run by a `worker` service in a child
 * process of its own, whose peak RSS is read from /proc. This process holds one chunk of
 * vectors at a time, never the set.
 */
export async function workerScan(
  chunks: Iterable<{ start: number; vectors: Float32Array[] }>,
  threshold: number,
  log: (message: string) => void,
): Promise<WorkerScanResult> {
  const environment = await createBenchEnvironment('near_dup_scan');
  const fake = await startBenchFake();
  const db = await new DataSource(
    dataSourceOptions({ url: environment.databaseUrl, poolSize: INSERTS_IN_FLIGHT + 1, statementTimeoutMs: 0 }),
  ).initialize();
  let api: BenchService | undefined;
  let worker: WorkerProcess | undefined;
  try {
    const hnsw: Array<{ indexname: string }> = await db.query(
      `SELECT indexname FROM pg_indexes WHERE tablename = 'embeddings' AND indexdef LIKE '%USING hnsw%'`,
    );
    for (const { indexname } of hnsw) await db.query(`DROP INDEX ${indexname}`);
    const [{ id: modelId }] = await db.query(`SELECT id FROM embedding_models WHERE name = $1`, [MODEL]);

    let started = performance.now();
    let vectors = 0;
    const insertBatch = async (rows: number[], batch: Float32Array[]) => {
      const ids = rows.map(rowId);
      const hashes = rows.map((row) => `h${row}`);
      await db.query(
        `INSERT INTO qa_pairs (id, question, answer, category, content_hash)
         SELECT id, 'question ' || n, 'answer ' || n, 'bench', hash FROM unnest($1::uuid[], $2::text[], $3::int[]) AS t(id, hash, n)`,
        [ids, hashes, rows],
      );
      await db.query(
        `INSERT INTO embeddings (qa_pair_id, model_id, content_hash, embedding, tokens)
         SELECT id, $1, hash, embedding, 1 FROM unnest($2::uuid[], $3::text[], $4::vector[]) AS t(id, hash, embedding)`,
        [modelId, ids, hashes, batch.map(toVectorLiteral)],
      );
    };
    for (const chunk of chunks) {
      const batches: Array<Promise<void>> = [];
      for (let offset = 0; offset < chunk.vectors.length; offset += INSERT_BATCH) {
        const batch = chunk.vectors.slice(offset, offset + INSERT_BATCH);
        batches.push(
          insertBatch(
            batch.map((_, i) => chunk.start + offset + i),
            batch,
          ),
        );
        // Two statements in flight: the server parses one batch's vector text while this process formats the next.
        if (batches.length === INSERTS_IN_FLIGHT) await batches.shift();
      }
      await Promise.all(batches);
      vectors += chunk.vectors.length;
      if (vectors % 50_000 < chunk.vectors.length) log(`inserted ${vectors} vectors`);
    }
    await db.query(`ANALYZE qa_pairs`);
    await db.query(`ANALYZE embeddings`);
    const insertSeconds = (performance.now() - started) / 1000;

    worker = await startWorker(benchServiceEnv(environment, fake, { ROLE: 'worker', DATABASE_POOL_SIZE: '3' }));
    api = await BenchService.start(benchServiceEnv(environment, fake, { ROLE: 'api', DATABASE_POOL_SIZE: '3' }));
    const idleRssMb = worker.memory().rssMb;
    started = performance.now();
    const scan = await api.request<{ id: string }>('POST', '/api/v1/compare/near-duplicates/scans', { threshold }, BENCH_ADMIN_KEY);
    let run: { status: string; error: string | null; summary: { vectors: number; truncated: boolean; loadSeconds: number; scanSeconds: number } };
    for (;;) {
      run = await api.request('GET', `/api/v1/compare/near-duplicates/scans/${scan.id}`);
      if (run.status === 'completed') break;
      if (run.status === 'failed' || run.status === 'interrupted')
        throw new Error(`the scan ${run.status}: ${run.error}\n${worker.output().slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const wallSeconds = (performance.now() - started) / 1000;
    const peakRssMb = worker.memory().peakMb;
    const found: Array<{ qa_pair_a: string; qa_pair_b: string; similarity: number }> = await db.query(
      `SELECT qa_pair_a, qa_pair_b, similarity FROM near_duplicate_scan_pairs WHERE run_id = $1`,
      [scan.id],
    );
    return {
      vectors: run.summary.vectors,
      insertSeconds,
      loadSeconds: run.summary.loadSeconds,
      searchSeconds: run.summary.scanSeconds,
      wallSeconds,
      peakRssMb,
      idleRssMb,
      pairs: found.map((pair) => {
        const [a, b] = [rowOf(pair.qa_pair_a), rowOf(pair.qa_pair_b)];
        return [Math.min(a, b), Math.max(a, b), pair.similarity];
      }),
      truncated: run.summary.truncated,
    };
  } finally {
    await api?.close();
    await worker?.stop();
    await db.destroy();
    await fake.stop();
    await environment.destroy();
  }
}

interface WorkerProcess {
  /** Current and peak resident set (Linux /proc; NaN elsewhere). */
  memory(): { rssMb: number; peakMb: number };
  output(): string;
  stop(): Promise<void>;
}

/** The compiled service with ROLE=worker in a child process (a worker pod), with its memory read from /proc. */
async function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const worker = await spawnBenchService(env, 120_000);
  return {
    memory: () => {
      try {
        const status = readFileSync(`/proc/${worker.pid}/status`, 'utf8');
        const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
        return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
      } catch {
        return { rssMb: Number.NaN, peakMb: Number.NaN };
      }
    },
    output: worker.output,
    stop: worker.stop,
  };
}
