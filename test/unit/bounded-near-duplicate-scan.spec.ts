import { clusteredEmbeddings } from '../../bench/support/clustered-embeddings';
import { findNearDuplicatesBounded, type VectorSource } from '../../src/compare/near-duplicates/bounded-near-duplicate-scan';
import { exactNearDuplicates } from '../../src/compare/near-duplicates/exact-near-duplicates';
import { findNearDuplicates } from '../../src/compare/near-duplicates/find-near-duplicates';
import type { NearDuplicatePair, VectorEntry } from '../../src/compare/near-duplicates/near-duplicate-pairs';

const keyOf = (pair: NearDuplicatePair<string | number>) => `${pair.idA}|${pair.idB}`;

/**
 * A source that hands out copies (as a database would), in pages, and records how many
 * full vectors the scan asked for at once.
 */
class CountingSource<Id extends number | string> implements VectorSource<Id> {
  readonly reads: number[] = [];
  pagesRead = 0;
  private readonly byId: Map<Id, Float32Array>;

  constructor(
    private readonly entries: readonly VectorEntry<Id>[],
    private readonly pageSize: number,
  ) {
    this.byId = new Map(entries.map((entry) => [entry.id, entry.vector]));
  }

  get expected(): number {
    return this.entries.length;
  }

  async *pages(): AsyncIterable<VectorEntry<Id>[]> {
    for (let start = 0; start < this.entries.length; start += this.pageSize) {
      this.pagesRead++;
      yield this.entries.slice(start, start + this.pageSize).map(({ id, vector }) => ({ id, vector: vector.slice() }));
    }
  }

  async vectorsOf(ids: readonly Id[]): Promise<Map<Id, Float32Array>> {
    this.reads.push(ids.length);
    return new Map(ids.map((id) => [id, this.byId.get(id)!.slice()]));
  }
}

describe('bounded-memory near-duplicate scan', () => {
  const data = clusteredEmbeddings({ count: 3000, dimensions: 256, seed: 11, duplicateShare: 0.03 });
  const entries = data.vectors.map((vector, id) => ({ id, vector }));

  it('finds exactly what the in-memory scan finds, with the same similarities', async () => {
    const source = new CountingSource(entries, 500);
    const bounded = await findNearDuplicatesBounded(source, { threshold: 0.95 });
    const inMemory = await findNearDuplicates(entries, { threshold: 0.95 });
    const exact = exactNearDuplicates(entries, 0.95);
    expect(inMemory.length).toBeGreaterThanOrEqual(data.plantedDuplicates.length);
    expect(bounded.pairs.map(keyOf)).toEqual(inMemory.map(keyOf));
    expect(bounded.pairs.map((pair) => pair.similarity)).toEqual(inMemory.map((pair) => pair.similarity));
    expect(bounded.pairs.map(keyOf)).toEqual(exact.map(keyOf));
    expect(bounded).toMatchObject({ vectors: 3000, parameters: { threshold: 0.95 } });
  });

  it('holds at most `vectorsPerCheck` full vectors for the exact checks, and reads each vector page once to sign it', async () => {
    const source = new CountingSource(entries, 250);
    const bounded = await findNearDuplicatesBounded(source, { threshold: 0.95, vectorsPerCheck: 64 });
    expect(source.pagesRead).toBe(12);
    // Many blocks were needed, none above the bound, and together they read far fewer vectors than a full load.
    expect(source.reads.length).toBeGreaterThan(5);
    expect(Math.max(...source.reads)).toBeLessThanOrEqual(64);
    expect(bounded.candidates).toBeGreaterThanOrEqual(bounded.pairs.length);
    expect(bounded.pairs.map(keyOf)).toEqual((await findNearDuplicates(entries, { threshold: 0.95 })).map(keyOf));
  });

  it('reads a bucket of many identical vectors back tile by tile, not once per pair', async () => {
    const copies = 300;
    const same = [
      ...Array.from({ length: copies }, (_, id) => ({ id, vector: entries[0].vector.slice() })),
      ...entries.slice(1, 500).map(({ vector }, i) => ({ id: copies + i, vector })),
    ];
    const source = new CountingSource(same, 100);
    const bounded = await findNearDuplicatesBounded(source, { threshold: 0.95, vectorsPerCheck: 16 });
    expect(bounded.pairs.map(keyOf)).toEqual(exactNearDuplicates(same, 0.95).map(keyOf));
    expect(bounded.pairs.length).toBeGreaterThanOrEqual((copies * (copies - 1)) / 2);
    // Tiles of 8: about copies² / 8 vectors read back (11,250); one block per 15 pairs would read ~48,000.
    expect(Math.max(...source.reads)).toBeLessThanOrEqual(16);
    expect(source.reads.reduce((sum, n) => sum + n, 0)).toBeLessThan(15_000);
  });

  it('keeps the most similar pairs under a limit, checks every pair of a small set exactly, and skips zero vectors', async () => {
    const limited = await findNearDuplicatesBounded(new CountingSource(entries, 1000), { threshold: 0.95, limit: 10, vectorsPerCheck: 8 });
    expect(limited.pairs).toEqual((await findNearDuplicates(entries, { threshold: 0.95, limit: 10 })).slice(0, 10));

    const small = [...entries.slice(0, 40), { id: 5000, vector: new Float32Array(256) }, { id: 5001, vector: entries[3].vector.slice() }];
    const bounded = await findNearDuplicatesBounded(new CountingSource(small, 7), { threshold: 0.8, vectorsPerCheck: 4 });
    expect(bounded.vectors).toBe(41);
    expect(bounded.pairs.map(keyOf)).toEqual(exactNearDuplicates(small, 0.8).map(keyOf));
    expect(bounded.pairs.map(keyOf)).toContain('3|5001');
  });

  it('refuses vectors of another length or with non-finite components, and stops when aborted', async () => {
    const mixed = [entries[0], { id: 1, vector: new Float32Array(8).fill(1) }];
    await expect(findNearDuplicatesBounded(new CountingSource(mixed, 10))).rejects.toThrow(/256.*8|8.*256/);
    const broken = [entries[0], { id: 1, vector: new Float32Array(256).fill(Number.NaN) }];
    await expect(findNearDuplicatesBounded(new CountingSource(broken, 10))).rejects.toThrow(/non-finite/);

    const controller = new AbortController();
    const progress: number[] = [];
    const scan = findNearDuplicatesBounded(new CountingSource(entries, 100), {
      signal: controller.signal,
      onProgress: (fraction) => {
        progress.push(fraction);
        if (fraction > 0.1) controller.abort(new Error('stop'));
      },
    });
    await expect(scan).rejects.toThrow('stop');
    expect(progress.every((fraction, i) => i === 0 || fraction >= progress[i - 1])).toBe(true);
  });
});
