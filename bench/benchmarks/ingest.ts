import { getEncoding } from 'js-tiktoken';
import { get_encoding } from 'tiktoken';
import { embeddingText } from '../../src/common/qa-content';
import { featureHashingVector } from '../../src/embeddings/providers/feature-hashing';
import { countTokens } from '../../src/embeddings/tokenizer';
import { type Benchmark, median, round, scaled } from '../support/benchmark';
import { bulkIngestRate, withBenchService } from '../support/bench-service';
import { syntheticQaPairs } from '../support/qa-corpus';
import { rawVectorIngestRate } from '../support/raw-vector-ingest';

const BULK = 1_000;

/**
 * `ingest`: QA pairs created through the API and embedded end to end (fake provider at
 * 0 ms, in its own process) against the raw pgvector insert rate of the same vectors;
 * and the three cl100k_base token counters on the same texts.
 */
export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  description:
    'QA pairs embedded and stored per second through the API and the queue (fake provider, 0 ms), vs raw pgvector inserts of the same vectors; token counting speed.',
  async run({ scale, runs, log }) {
    const count = scaled(10_000, scale, 200);
    const corpus = syntheticQaPairs(count);
    const texts = corpus.map((pair) => embeddingText(pair.question, pair.answer));

    const tokenizers = tokenizerRates(texts, runs);
    log(`tokens/s: ${JSON.stringify(tokenizers)}`);

    const pairsPerSecond: number[] = [];
    const rawRates: number[] = [];
    let inputsPerCall = 0;
    for (let run = 0; run < runs; run++) {
      await withBenchService('ingest', {}, async (service, _fake, environment) => {
        pairsPerSecond.push(await bulkIngestRate(service, corpus, BULK));
        inputsPerCall = await service.count(`SELECT avg(inputs) FROM provider_calls`);
        rawRates.push(
          await rawVectorIngestRate(
            environment.databaseUrl,
            texts.map((text) => featureHashingVector(text, 1536)),
          ),
        );
        log(`run ${run + 1}: ${round(pairsPerSecond[run], 1)} pairs/s, raw ${round(rawRates[run], 1)} rows/s`);
      });
    }
    const pairs = median(pairsPerSecond);
    const raw = median(rawRates);
    return {
      figures: {
        pairs: count,
        pairs_per_s: round(pairs, 1),
        raw_insert_rows_per_s: round(raw, 1),
        ratio_to_raw: round(pairs / raw, 3),
        inputs_per_call: round(inputsPerCall, 1),
        tokens_per_s_tiktoken: tokenizers.tiktoken,
        tokens_per_s_js_tiktoken: tokenizers.jsTiktoken,
        tokens_per_s_service: tokenizers.service,
      },
      notes: {
        method: `median of ${runs} runs; each creates ${count} pairs in bulk requests of ${BULK} on a fresh database and waits until all are embedded`,
        raw_baseline: 'the same 1536-d vectors inserted in batches of 256 by 2 connections into a table with a primary key and an HNSW index',
        tokenizers: 'tiktoken = WASM encode, js_tiktoken = encode, service = our counter (js-tiktoken ranks, n·log n merge), on the same texts',
      },
    };
  },
};

function tokenizerRates(texts: string[], runs: number): { tiktoken: number; jsTiktoken: number; service: number } {
  const wasm = get_encoding('cl100k_base');
  const js = getEncoding('cl100k_base');
  const total = texts.reduce((sum, text) => sum + countTokens(text), 0);
  const rate = (count: (text: string) => number) => {
    const samples: number[] = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      for (const text of texts) count(text);
      samples.push(total / ((performance.now() - started) / 1000));
    }
    return Math.round(median(samples));
  };
  try {
    return {
      tiktoken: rate((text) => wasm.encode(text, [], []).length),
      jsTiktoken: rate((text) => js.encode(text, [], []).length),
      service: rate(countTokens),
    };
  } finally {
    wasm.free();
  }
}
