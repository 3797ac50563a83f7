import { SeededRandom } from '../../src/compare/near-duplicates/seeded-random';

/**
 * Synthetic embeddings shaped like a real knowledge base, so near-duplicate search is not
 * trivially separable: a shared direction (real embeddings are anisotropic: unrelated
 * texts sit around 0.1–0.2), domains, topics of skewed sizes whose members mostly sit at
 * 0.5–0.9 from each other and a few at 0.9–0.95, then planted near-duplicates at exact
 * similarities over [0.95, 0.999] (some chained into groups of three or more) and planted
 * near misses over [0.93, 0.949] that must not be reported.
 */
export interface ClusteredEmbeddings {
  dimensions: number;
  /** One contiguous buffer; vectors[i] is a view of row i, and i is its id. */
  data: Float32Array;
  vectors: Float32Array[];
  /** Planted pairs as [i, j, similarity]. */
  plantedDuplicates: Array<[number, number, number]>;
  plantedNearMisses: Array<[number, number, number]>;
}

export interface ClusteredEmbeddingsOptions {
  count: number;
  dimensions: number;
  seed: number;
  /** Share of the vectors that are planted near-duplicates (default 0.02). */
  duplicateShare?: number;
  /** Share of the vectors that are planted near misses (default 0.01). */
  nearMissShare?: number;
}

const SHARED_WEIGHT = 0.15;
const DOMAIN_WEIGHT = 0.25;
const MEMBERS_PER_TOPIC = 50;
const TOPICS_PER_DOMAIN = 100;
/** Chance that a planted duplicate copies an earlier planted one, building chains. */
const CHAIN_SHARE = 0.1;

export function clusteredEmbeddings(options: ClusteredEmbeddingsOptions): ClusteredEmbeddings {
  const { count, dimensions } = options;
  const random = new SeededRandom(options.seed);
  const data = new Float32Array(count * dimensions);
  const vectors = Array.from({ length: count }, (_, i) => data.subarray(i * dimensions, (i + 1) * dimensions));
  const duplicates = Math.round(count * (options.duplicateShare ?? 0.02));
  const nearMisses = Math.round(count * (options.nearMissShare ?? 0.01));
  const members = count - duplicates - nearMisses;
  if (members < 1) throw new RangeError('too few vectors for the planted pairs');

  // Rows are filled in a random order so planted vectors are not all at the end.
  const rows = shuffledRange(count, random);
  const shared = randomUnitVector(dimensions, random);
  const topicCount = Math.max(1, Math.round(members / MEMBERS_PER_TOPIC));
  const domains = Array.from({ length: Math.max(1, Math.round(topicCount / TOPICS_PER_DOMAIN)) }, () => randomUnitVector(dimensions, random));
  const topics = Array.from({ length: topicCount }, () => {
    const domain = domains[random.nextInt(domains.length)];
    const own = randomUnitVector(dimensions, random);
    return mix([shared, domain, own], [SHARED_WEIGHT, DOMAIN_WEIGHT, 1 - SHARED_WEIGHT - DOMAIN_WEIGHT]);
  });

  const noise = new Float64Array(dimensions);
  for (let m = 0; m < members; m++) {
    // Skewed topic sizes: a few big topics, many small ones.
    const topic = topics[Math.floor(topicCount * random.next() ** 1.5)];
    // Share of the member's variance on its topic; pairs sit near sqrt(s1·s2).
    const onTopic = 0.5 + 0.445 * random.next() ** 2;
    fillUnitGaussian(noise, random);
    const target = vectors[rows[m]];
    const a = Math.sqrt(onTopic);
    const b = Math.sqrt(1 - onTopic);
    for (let i = 0; i < dimensions; i++) target[i] = a * topic[i] + b * noise[i];
    normalizeInPlace(target);
  }

  const plant = (start: number, total: number, low: number, high: number, chains: boolean) => {
    const planted: Array<[number, number, number]> = [];
    for (let k = 0; k < total; k++) {
      const chained = chains && planted.length > 0 && random.next() < CHAIN_SHARE;
      const base = chained ? planted[random.nextInt(planted.length)][1] : rows[random.nextInt(members)];
      const row = rows[start + k];
      const similarity = low + (high - low) * random.next();
      writeAtSimilarity(vectors[base], similarity, vectors[row], noise, random);
      planted.push([base, row, similarity]);
    }
    return planted;
  };
  const plantedDuplicates = plant(members, duplicates, 0.95, 0.999, true);
  const plantedNearMisses = plant(members + duplicates, nearMisses, 0.93, 0.949, false);
  return { dimensions, data, vectors, plantedDuplicates, plantedNearMisses };
}

/** target = s·base + sqrt(1 − s²)·w with w a random unit vector orthogonal to base. */
export function writeAtSimilarity(base: Float32Array, similarity: number, target: Float32Array, scratch: Float64Array, random: SeededRandom): void {
  fillUnitGaussian(scratch, random);
  let projection = 0;
  for (let i = 0; i < base.length; i++) projection += scratch[i] * base[i];
  let norm = 0;
  for (let i = 0; i < base.length; i++) {
    scratch[i] -= projection * base[i];
    norm += scratch[i] * scratch[i];
  }
  const orthogonal = Math.sqrt(1 - similarity * similarity) / Math.sqrt(norm);
  for (let i = 0; i < base.length; i++) target[i] = similarity * base[i] + orthogonal * scratch[i];
}

export function randomUnitVector(dimensions: number, random: SeededRandom): Float64Array {
  const vector = new Float64Array(dimensions);
  fillUnitGaussian(vector, random);
  return vector;
}

export function fillUnitGaussian(vector: Float64Array, random: SeededRandom): void {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) {
    vector[i] = random.nextGaussian();
    norm += vector[i] * vector[i];
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < vector.length; i++) vector[i] *= scale;
}

/** Unit vector along Σ sqrt(weightₖ)·partₖ (parts are near-orthogonal unit vectors). */
function mix(parts: Float64Array[], weights: number[]): Float64Array {
  const result = new Float64Array(parts[0].length);
  parts.forEach((part, k) => {
    const scale = Math.sqrt(weights[k]);
    for (let i = 0; i < result.length; i++) result[i] += scale * part[i];
  });
  let norm = 0;
  for (let i = 0; i < result.length; i++) norm += result[i] * result[i];
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < result.length; i++) result[i] *= scale;
  return result;
}

export function normalizeInPlace(vector: Float32Array): void {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i] * vector[i];
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < vector.length; i++) vector[i] *= scale;
}

function shuffledRange(length: number, random: SeededRandom): Uint32Array {
  const order = new Uint32Array(length);
  for (let i = 0; i < length; i++) order[i] = i;
  for (let i = length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
