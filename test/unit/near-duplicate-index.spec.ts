import { clusteredEmbeddings } from '../../bench/support/clustered-embeddings';
import { cosineSimilarity, DimensionMismatchError, dotProduct, EmptyVectorError } from '../../src/compare/near-duplicates/cosine-similarity';
import { exactNearDuplicates } from '../../src/compare/near-duplicates/exact-near-duplicates';
import { findNearDuplicates } from '../../src/compare/near-duplicates/find-near-duplicates';
import { chooseLshParameters, candidateProbability } from '../../src/compare/near-duplicates/lsh-parameters';
import { groupIntoClusters } from '../../src/compare/near-duplicates/near-duplicate-clusters';
import { NearDuplicateIndex } from '../../src/compare/near-duplicates/near-duplicate-index';
import type { NearDuplicatePair, VectorEntry } from '../../src/compare/near-duplicates/near-duplicate-pairs';
import { SeededRandom } from '../../src/compare/near-duplicates/seeded-random';

function randomUnit(dimensions: number, random: SeededRandom): Float32Array {
  const vector = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    vector[i] = random.nextGaussian();
    norm += vector[i] * vector[i];
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) vector[i] *= scale;
  return vector;
}

/** A unit vector at exactly `similarity` from `base` (up to float32 rounding). */
function atSimilarity(base: Float32Array, similarity: number, random: SeededRandom): Float32Array {
  const other = randomUnit(base.length, random);
  const projection = dotProduct(base, other);
  const orthogonal = other.map((value, i) => value - projection * base[i]);
  const scale = Math.sqrt(1 - similarity ** 2) / Math.sqrt(dotProduct(orthogonal, orthogonal));
  return base.map((value, i) => similarity * value + scale * orthogonal[i]);
}

const keyOf = (pair: NearDuplicatePair<string | number>) => `${pair.idA}|${pair.idB}`;

/** 40 random unit vectors (ids "v00"…) plus planted pairs at known similarities. */
function plantedSet() {
  const random = new SeededRandom(7);
  const entries: VectorEntry<string>[] = [];
  for (let i = 0; i < 40; i++) entries.push({ id: `v${String(i).padStart(2, '0')}`, vector: randomUnit(96, random) });
  const plant = (baseId: string, id: string, similarity: number) => {
    const base = entries.find((entry) => entry.id === baseId)!.vector;
    entries.push({ id, vector: atSimilarity(base, similarity, random) });
  };
  plant('v03', 'dup-a', 0.99);
  plant('v11', 'dup-b', 0.97);
  plant('v20', 'dup-c', 0.955);
  plant('v30', 'miss', 0.94);
  // Shuffled so that input order says nothing about id order.
  for (let i = entries.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [entries[i], entries[j]] = [entries[j], entries[i]];
  }
  return entries;
}

describe('cosineSimilarity', () => {
  it('matches hand-computed values', () => {
    expect(cosineSimilarity([1, 2, 3], [4, 5, 6])).toBeCloseTo(32 / (Math.sqrt(14) * Math.sqrt(77)), 15);
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([1, 2, 3], [-1, -2, -3])).toBe(-1);
    expect(cosineSimilarity([2, 0, 0], [5, 0, 0])).toBe(1);
    expect(cosineSimilarity(new Float32Array([3, 4]), new Float32Array([4, 3]))).toBeCloseTo(24 / 25, 15);
  });

  it('stays exact at 3072 dimensions', () => {
    // All ones against ones in the first k places: k / sqrt(n·k) = sqrt(k / n).
    const n = 3072;
    const k = 768;
    const ones = new Float32Array(n).fill(1);
    const firstK = new Float32Array(n).fill(0, k).fill(1, 0, k);
    expect(cosineSimilarity(ones, firstK)).toBeCloseTo(0.5, 15);
  });

  it('throws a DimensionMismatchError naming both lengths', () => {
    expect(() => cosineSimilarity([1, 2, 3], [1, 2])).toThrow(DimensionMismatchError);
    expect(() => cosineSimilarity([1, 2, 3], [1, 2])).toThrow('3 and 2');
    try {
      cosineSimilarity(new Float32Array(1536), new Float32Array(3072));
    } catch (error) {
      expect(error).toMatchObject({ lengthA: 1536, lengthB: 3072 });
    }
  });

  it('throws on empty vectors and returns 0 for a zero vector', () => {
    expect(() => cosineSimilarity([], [])).toThrow(EmptyVectorError);
    expect(cosineSimilarity([0, 0, 0], [1, 2, 3])).toBe(0);
    expect(cosineSimilarity([0, 0], [0, 0])).toBe(0);
  });
});

describe('near-duplicates', () => {
  it('finds the planted near-duplicates and not the distinct pairs, by both scans', async () => {
    const entries = plantedSet();
    const expected = ['dup-a|v03', 'dup-b|v11', 'dup-c|v20'];
    const exact = exactNearDuplicates(entries, 0.95);
    const index = await NearDuplicateIndex.build(entries, { threshold: 0.95 });
    const viaIndex = await index.findPairs();
    const viaEntryPoint = await findNearDuplicates(entries);
    for (const pairs of [exact, viaIndex, viaEntryPoint]) {
      expect(pairs.map(keyOf)).toEqual(expected);
      expect(pairs[0].similarity).toBeCloseTo(0.99, 6);
      expect(pairs[2].similarity).toBeCloseTo(0.955, 6);
    }
  });

  it('reports each pair once with idA < idB, most similar first, and honours limit', async () => {
    const random = new SeededRandom(3);
    const base = randomUnit(64, random);
    // Five near-copies of one vector: all 15 pairs of the 6 ids, numeric ids in scrambled order.
    const entries: VectorEntry<number>[] = [{ id: 50, vector: base }];
    [17, 3, 42, 8, 29].forEach((id, i) => entries.push({ id, vector: atSimilarity(base, 0.995 - i * 0.001, random) }));
    const index = await NearDuplicateIndex.build(entries);
    const pairs = await index.findPairs();
    expect(pairs).toHaveLength(15);
    expect(new Set(pairs.map(keyOf)).size).toBe(15);
    for (const pair of pairs) expect(pair.idA).toBeLessThan(pair.idB);
    for (let i = 1; i < pairs.length; i++) expect(pairs[i - 1].similarity).toBeGreaterThanOrEqual(pairs[i].similarity);
    const top3 = await index.findPairs({ limit: 3 });
    expect(top3).toEqual(pairs.slice(0, 3));
    expect(await index.findPairs({ threshold: 0.999 })).toEqual([]);
    expect(groupIntoClusters(pairs)).toEqual([[3, 8, 17, 29, 42, 50]]);
  });

  it('keeps the same top pairs when a limit trims a large result on the way', async () => {
    const random = new SeededRandom(4);
    const base = randomUnit(64, random);
    const entries = Array.from({ length: 100 }, (_, id) => ({ id, vector: atSimilarity(base, 0.999 - id * 1e-5, random) }));
    const index = await NearDuplicateIndex.build(entries);
    const all = await index.findPairs();
    expect(all).toHaveLength(4950);
    expect(await index.findPairs({ limit: 5 })).toEqual(all.slice(0, 5));
    expect(exactNearDuplicates(entries, 0.95, 5)).toEqual(all.slice(0, 5));
  });

  it('groups pairs transitively into clusters', () => {
    const pairs: NearDuplicatePair<string>[] = [
      { idA: 'a', idB: 'b', similarity: 0.99 },
      { idA: 'x', idB: 'y', similarity: 0.98 },
      { idA: 'b', idB: 'c', similarity: 0.97 },
      { idA: 'c', idB: 'd', similarity: 0.96 },
    ];
    expect(groupIntoClusters(pairs)).toEqual([
      ['a', 'b', 'c', 'd'],
      ['x', 'y'],
    ]);
    expect(groupIntoClusters([])).toEqual([]);
  });

  it('LSH agrees with brute force on clustered vectors', async () => {
    const data = clusteredEmbeddings({ count: 3000, dimensions: 256, seed: 11, duplicateShare: 0.03 });
    const entries = data.vectors.map((vector, id) => ({ id, vector }));
    const exact = exactNearDuplicates(entries, 0.95);
    const index = await NearDuplicateIndex.build(entries, { threshold: 0.95 });
    const found = await index.findPairs();
    expect(exact.length).toBeGreaterThanOrEqual(data.plantedDuplicates.length);
    expect(found.map(keyOf)).toEqual(exact.map(keyOf));
    expect(found.map((pair) => pair.similarity)).toEqual(exact.map((pair) => pair.similarity));
  });

  it('answers nearestAbove against a built index', async () => {
    const entries = plantedSet();
    const index = await NearDuplicateIndex.build(entries);
    const query = entries.find((entry) => entry.id === 'v11')!.vector;
    const neighbours = index.nearestAbove(query, 0.95, 5);
    expect(neighbours.map((neighbour) => neighbour.id)).toEqual(['v11', 'dup-b']);
    expect(neighbours[0].similarity).toBe(1);
    expect(neighbours[1].similarity).toBeCloseTo(0.97, 6);
    expect(index.nearestAbove(query, 0.95, 1)).toHaveLength(1);
    expect(index.nearestAbove(new Float32Array(96), 0.95, 5)).toEqual([]);
    expect(() => index.nearestAbove(query, 0.9, 5)).toThrow(RangeError);
    expect(() => index.nearestAbove(new Float32Array(3), 0.95, 5)).toThrow(DimensionMismatchError);
  });

  it('rejects entries it cannot compare', async () => {
    const random = new SeededRandom(5);
    const vector = randomUnit(8, random);
    await expect(
      NearDuplicateIndex.build([
        { id: 1, vector },
        { id: 1, vector },
      ]),
    ).rejects.toThrow('duplicate id 1');
    await expect(
      NearDuplicateIndex.build([
        { id: 1, vector },
        { id: 2, vector: new Float32Array(9) },
      ]),
    ).rejects.toThrow(DimensionMismatchError);
    expect(() => exactNearDuplicates([{ id: 1, vector }], 1.5)).toThrow(RangeError);
  });

  it('sizes the bands so a pair at the threshold is found with the target recall', () => {
    for (const threshold of [0.8, 0.9, 0.95, 0.99]) {
      const parameters = chooseLshParameters(threshold, 0.999);
      expect(parameters.recallBound).toBeGreaterThanOrEqual(0.999);
      expect(candidateProbability(threshold, parameters.bandBits, parameters.bands)).toBeGreaterThanOrEqual(0.9995);
    }
  });

  it('reports progress and stops when aborted', async () => {
    const random = new SeededRandom(9);
    const entries = Array.from({ length: 8000 }, (_, id) => ({ id, vector: randomUnit(768, random) }));
    const progress: number[] = [];
    const controller = new AbortController();
    const build = NearDuplicateIndex.build(entries, {
      signal: controller.signal,
      onProgress: (fraction) => {
        progress.push(fraction);
        controller.abort();
      },
    });
    await expect(build).rejects.toMatchObject({ name: 'AbortError' });
    expect(progress).toHaveLength(1);
    expect(progress[0]).toBeLessThan(1);

    await expect(findNearDuplicates(entries, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });

    const seen: number[] = [];
    await NearDuplicateIndex.build(entries.slice(0, 2000), { onProgress: (fraction) => seen.push(fraction) });
    expect(seen.at(-1)).toBe(1);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});
