import { SeededRandom } from '../../src/compare/near-duplicates/seeded-random';
import { fillUnitGaussian, normalizeInPlace, randomUnitVector, writeAtSimilarity } from './clustered-embeddings';

/**
 * The clustered synthetic embeddings of `clustered-embeddings.ts` (shared direction, domains,
 * topics of skewed sizes, planted near-duplicates at 0.95–0.999 and near misses at
 * 0.93–0.949), generated chunk by chunk so a million 1536-d vectors never sit in memory:
 * only the topic centres (float32, ~120 MB at 1M × 1536) and one chunk do. A planted
 * vector copies an earlier row of its own chunk (10 % of duplicates copy an earlier planted
 * duplicate, building chains), so it can be written at once.
 */
export interface StreamedClusteredOptions {
  count: number;
  dimensions: number;
  seed: number;
  /** Rows per chunk (default 5,000). */
  chunkSize?: number;
  duplicateShare?: number;
  nearMissShare?: number;
}

export interface EmbeddingChunk {
  /** Id (row number) of the chunk's first vector. */
  start: number;
  vectors: Float32Array[];
}

/** Planted pairs as [base row, planted row, similarity], filled in as chunks are generated. */
export interface PlantedPairs {
  duplicates: Array<[number, number, number]>;
  nearMisses: Array<[number, number, number]>;
}

const SHARED_WEIGHT = 0.15;
const DOMAIN_WEIGHT = 0.25;
const MEMBERS_PER_TOPIC = 50;
const TOPICS_PER_DOMAIN = 100;
const CHAIN_SHARE = 0.1;

export function* streamedClusteredEmbeddings(options: StreamedClusteredOptions, planted: PlantedPairs): Generator<EmbeddingChunk> {
  const { count, dimensions } = options;
  const chunkSize = options.chunkSize ?? 5_000;
  const duplicateShare = options.duplicateShare ?? 0.02;
  const nearMissShare = options.nearMissShare ?? 0.01;
  const random = new SeededRandom(options.seed);
  const shared = randomUnitVector(dimensions, random);
  const topicCount = Math.max(1, Math.round((count * (1 - duplicateShare - nearMissShare)) / MEMBERS_PER_TOPIC));
  const domains = Array.from({ length: Math.max(1, Math.round(topicCount / TOPICS_PER_DOMAIN)) }, () => randomUnitVector(dimensions, random));
  const topics = new Float32Array(topicCount * dimensions);
  for (let t = 0; t < topicCount; t++) {
    const domain = domains[random.nextInt(domains.length)];
    const own = randomUnitVector(dimensions, random);
    const topic = topics.subarray(t * dimensions, (t + 1) * dimensions);
    for (let i = 0; i < dimensions; i++) {
      topic[i] = Math.sqrt(SHARED_WEIGHT) * shared[i] + Math.sqrt(DOMAIN_WEIGHT) * domain[i] + Math.sqrt(1 - SHARED_WEIGHT - DOMAIN_WEIGHT) * own[i];
    }
    normalizeInPlace(topic);
  }

  const noise = new Float64Array(dimensions);
  for (let start = 0; start < count; start += chunkSize) {
    const size = Math.min(chunkSize, count - start);
    const data = new Float32Array(size * dimensions);
    const vectors = Array.from({ length: size }, (_, i) => data.subarray(i * dimensions, (i + 1) * dimensions));
    const chunkDuplicates: number[] = [];
    for (let k = 0; k < size; k++) {
      const row = start + k;
      const kind = random.next();
      if (k > 0 && kind < duplicateShare + nearMissShare) {
        const duplicate = kind < duplicateShare;
        const chained = duplicate && chunkDuplicates.length > 0 && random.next() < CHAIN_SHARE;
        const baseRow = chained ? chunkDuplicates[random.nextInt(chunkDuplicates.length)] : start + random.nextInt(k);
        const similarity = duplicate ? 0.95 + 0.049 * random.next() : 0.93 + 0.019 * random.next();
        writeAtSimilarity(vectors[baseRow - start], similarity, vectors[k], noise, random);
        (duplicate ? planted.duplicates : planted.nearMisses).push([baseRow, row, similarity]);
        if (duplicate) chunkDuplicates.push(row);
        continue;
      }
      const t = Math.floor(topicCount * random.next() ** 1.5);
      const topic = topics.subarray(t * dimensions, (t + 1) * dimensions);
      const onTopic = 0.5 + 0.445 * random.next() ** 2;
      fillUnitGaussian(noise, random);
      const a = Math.sqrt(onTopic);
      const b = Math.sqrt(1 - onTopic);
      const target = vectors[k];
      for (let i = 0; i < dimensions; i++) target[i] = a * topic[i] + b * noise[i];
      normalizeInPlace(target);
    }
    yield { start, vectors };
  }
}
