import { embeddingText } from '../../src/common/qa-content';
import { featureHashingVector } from '../../src/embeddings/providers/feature-hashing';
import { type Benchmark, median, percentile, round, scaled } from '../support/benchmark';
import { createBenchEnvironment } from '../support/bench-environment';
import { bulkIngestRate, withBenchService } from '../support/bench-service';
import { type CorpusPair, syntheticQaPairs } from '../support/qa-corpus';
import { rawVectorIngestRate } from '../support/raw-vector-ingest';

const BULK = 1_000;

interface IngestRun {
  pairsPerSecond: number;
  inputsPerCall: number;
  createToEmbeddedMs: number[];
  maxCallsInFlight: number;
  /** One pair at a time into an idle service: our own latency, without a backlog ahead of it. */
  idleSingleMs: number[];
}

const IDLE_SINGLES = 20;

/**
 * `queue`: pairs created through the API and embedded end to end by the batching worker,
 * with the fake provider at 0 ms and at 200 ms latency; beside it, in the same run, the
 * raw pgvector insert rate of the same vectors and a naive worker (one job, one provider
 * call, one insert per pair: batch size 1, concurrency 1, as `@Process()` gives).
 */
export const queueBenchmark: Benchmark = {
  name: 'queue',
  description:
    'End-to-end embedding throughput and latency through the Bull queue at 0 ms and 200 ms provider latency, vs raw pgvector inserts and a naive one-job-one-call-one-insert worker.',
  async run({ scale, runs, log }) {
    const count = scaled(20_000, scale, 500);
    const naiveCount = Math.min(count, scaled(1_000, scale, 100));
    const corpus = syntheticQaPairs(count);

    const at0: IngestRun[] = [];
    const at200: IngestRun[] = [];
    const naive: IngestRun[] = [];
    const naive200: IngestRun[] = [];
    const naive200Count = Math.min(count, scaled(100, scale, 20));
    const raw: number[] = [];
    for (let run = 0; run < runs; run++) {
      at0.push(await ingest(corpus, 0, {}));
      log(`run ${run + 1} at 0 ms: ${round(at0[run].pairsPerSecond, 1)} pairs/s, ${round(at0[run].inputsPerCall, 1)} inputs/call`);
      at200.push(await ingest(corpus, 200, {}));
      log(`run ${run + 1} at 200 ms: ${round(at200[run].pairsPerSecond, 1)} pairs/s, ${at200[run].maxCallsInFlight} calls in flight at most`);
      naive.push(await ingest(corpus.slice(0, naiveCount), 0, { QUEUE_BATCH_MAX_INPUTS: '1', QUEUE_CONCURRENCY: '1' }));
      log(`run ${run + 1} naive: ${round(naive[run].pairsPerSecond, 1)} pairs/s`);
      naive200.push(await ingest(corpus.slice(0, naive200Count), 200, { QUEUE_BATCH_MAX_INPUTS: '1', QUEUE_CONCURRENCY: '1' }));
      log(`run ${run + 1} naive at 200 ms: ${round(naive200[run].pairsPerSecond, 1)} pairs/s`);
      raw.push(await rawRate(corpus));
      log(`run ${run + 1} raw: ${round(raw[run], 1)} rows/s`);
    }
    const rate = (runs: IngestRun[]) => median(runs.map((r) => r.pairsPerSecond));
    const latencies = at0.flatMap((r) => r.createToEmbeddedMs);
    const idleSingles = at0.flatMap((r) => r.idleSingleMs);
    const rawMedian = median(raw);
    return {
      figures: {
        pairs: count,
        pairs_per_s_0ms: round(rate(at0), 1),
        pairs_per_s_200ms: round(rate(at200), 1),
        inputs_per_call: round(median(at0.map((r) => r.inputsPerCall)), 1),
        inputs_per_call_200ms: round(median(at200.map((r) => r.inputsPerCall)), 1),
        max_calls_in_flight_200ms: Math.max(...at200.map((r) => r.maxCallsInFlight)),
        p50_ms_create_to_embedded: round(percentile(latencies, 50), 0),
        p95_ms_create_to_embedded: round(percentile(latencies, 95), 0),
        p50_ms_single_pair_idle: round(percentile(idleSingles, 50), 0),
        p95_ms_single_pair_idle: round(percentile(idleSingles, 95), 0),
        raw_insert_rows_per_s: round(rawMedian, 1),
        naive_pairs_per_s: round(rate(naive), 1),
        naive_pairs_per_s_200ms: round(rate(naive200), 1),
        ratio_to_raw_0ms: round(rate(at0) / rawMedian, 3),
        ratio_to_naive_0ms: round(rate(at0) / rate(naive), 1),
        ratio_to_naive_200ms: round(rate(at200) / rate(naive200), 1),
      },
      notes: {
        method: `median of ${runs} runs on fresh databases; ${count} pairs created in bulk requests of ${BULK}; pairs/s from the first request to the last embedding; latency from the pair's created_at to its embedded_at (0 ms runs: with the whole backlog ahead of it); single_pair_idle: then ${IDLE_SINGLES} pairs created one at a time into the idle service`,
        naive: `${naiveCount} pairs (${naive200Count} at 200 ms), QUEUE_BATCH_MAX_INPUTS=1 and QUEUE_CONCURRENCY=1: one job, one provider call, one insert per pair`,
        raw_baseline: 'the same 1536-d vectors inserted in batches of 256 by 2 connections into a table with a primary key and an HNSW index',
      },
    };
  },
};

async function ingest(corpus: CorpusPair[], latencyMs: number, overrides: Record<string, string>): Promise<IngestRun> {
  return withBenchService('queue', overrides, async (service, fake) => {
    await fake.control.configure({ latency: { ms: latencyMs, jitterMs: 0 } });
    const pairsPerSecond = await bulkIngestRate(service, corpus, BULK);
    const rows: Array<{ ms: number }> = await service.db.query(
      `SELECT extract(epoch FROM e.embedded_at - q.created_at) * 1000 AS ms FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id`,
    );
    const idleSingleMs: number[] = [];
    if (latencyMs === 0 && !overrides.QUEUE_CONCURRENCY) {
      for (let i = 0; i < IDLE_SINGLES; i++) {
        const pair = await service.request<{ id: string }>('POST', '/api/v1/qa-pairs', { question: `Single pair ${i}?`, answer: `Answer ${i}.` });
        await service.waitForCount(`SELECT count(*) FROM embeddings WHERE qa_pair_id = '${pair.id}'`, 1);
        const [row] = await service.db.query(
          `SELECT extract(epoch FROM e.embedded_at - q.created_at) * 1000 AS ms FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id WHERE q.id = $1`,
          [pair.id],
        );
        idleSingleMs.push(Number(row.ms));
      }
    }
    return {
      idleSingleMs,
      pairsPerSecond,
      inputsPerCall: await service.count(`SELECT avg(inputs) FROM provider_calls`),
      createToEmbeddedMs: rows.map((row) => Number(row.ms)),
      maxCallsInFlight: (await fake.control.stats()).maxInFlight,
    };
  });
}

async function rawRate(corpus: CorpusPair[]): Promise<number> {
  const environment = await createBenchEnvironment('queue_raw');
  try {
    return await rawVectorIngestRate(
      environment.databaseUrl,
      corpus.map((pair) => featureHashingVector(embeddingText(pair.question, pair.answer), 1536)),
    );
  } finally {
    await environment.destroy();
  }
}
