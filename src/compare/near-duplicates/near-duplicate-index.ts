import { BandedSimHash, isFirstCloseCollision } from './banded-simhash';
import { assertComparable, clampSimilarity, dotProduct, vectorNorm } from './cosine-similarity';
import { chooseLshParameters, hammingLimit, type LshParameters } from './lsh-parameters';
import {
  assertLimit,
  assertThreshold,
  DEFAULT_THRESHOLD,
  mostSimilarNeighbours,
  orderedPair,
  PairCollector,
  type EntryId,
  type NearDuplicatePair,
  type Neighbour,
  type VectorEntry,
} from './near-duplicate-pairs';
import { ScanControl, type ScanOptions } from './scan-control';
import { summarizeEntries } from './vector-entries';

export interface NearDuplicateIndexOptions extends ScanOptions {
  /** The lowest threshold the index will answer with its recall guarantee (default 0.95). */
  threshold?: number;
  /** P(a pair at the threshold is found), default 0.999; higher costs more bands. */
  targetRecall?: number;
  /** Bits per band; by default chosen from the threshold (see lsh-parameters). */
  bandBits?: number;
  /** Seed of the random hyperplanes; the same seed gives the same answers. */
  seed?: number;
}

export interface FindPairsOptions extends ScanOptions {
  /** At least the index's threshold (default: that threshold). */
  threshold?: number;
  /** Keep only the most similar pairs. */
  limit?: number;
}

export const DEFAULT_TARGET_RECALL = 0.999;
export const DEFAULT_SEED = 0x5eed;
/** Share of build time spent hashing, the rest sorts the band tables (measured at 20k × 1536). */
const HASHING_SHARE = 0.85;

/**
 * Banded random-hyperplane LSH over a fixed set of vectors (README "Near-duplicate
 * detection"): pairs that share a band and pass a Hamming pre-filter on the whole
 * signature get an exact float64 cosine check, so nothing below the threshold is ever
 * reported, and each pair at or above it is found with probability ≥ targetRecall.
 *
 * Vectors are referenced, not copied; the index adds bands × 12 bytes per vector (per band
 * a signature word, a key and an entry). Zero vectors are never near anything and are left
 * out of the band tables.
 */
export class NearDuplicateIndex<Id extends EntryId> {
  private constructor(
    readonly parameters: LshParameters,
    readonly dimensions: number,
    private readonly hasher: BandedSimHash,
    private readonly ids: Id[],
    private readonly vectors: Float32Array[],
    private readonly norms: Float64Array,
    /** bands words per entry, entry i at [i·bands, (i+1)·bands). */
    private readonly signatures: Uint32Array,
    /** Per band: the hashed entries' band keys in ascending order, and those entries. */
    private readonly bandKeys: Uint32Array[],
    private readonly bandEntries: Uint32Array[],
  ) {}

  static async build<Id extends EntryId>(
    entries: readonly VectorEntry<Id>[],
    options: NearDuplicateIndexOptions = {},
  ): Promise<NearDuplicateIndex<Id>> {
    const control = new ScanControl(options);
    const threshold = options.threshold ?? DEFAULT_THRESHOLD;
    const parameters = chooseLshParameters(threshold, options.targetRecall ?? DEFAULT_TARGET_RECALL, options.bandBits);
    const { dimensions, norms } = summarizeEntries(entries);
    const { bands, bandBits } = parameters;
    const hasher = new BandedSimHash(Math.max(1, dimensions), bands, bandBits, options.seed ?? DEFAULT_SEED);

    const signatures = new Uint32Array(entries.length * bands);
    const hashed: number[] = [];
    for (let i = 0; i < entries.length; i++) {
      if (norms[i] === 0) continue;
      hasher.sign(entries[i].vector, signatures, i * bands);
      hashed.push(i);
      if (control.pauseDue()) await control.pause((HASHING_SHARE * i) / entries.length);
    }
    const { bandKeys, bandEntries } = await sortBandTables(signatures, hashed, bands, control);
    control.finish();
    return new NearDuplicateIndex(
      parameters,
      dimensions,
      hasher,
      entries.map((entry) => entry.id),
      entries.map((entry) => entry.vector),
      norms,
      signatures,
      bandKeys,
      bandEntries,
    );
  }

  get size(): number {
    return this.ids.length;
  }

  /** Every pair at or above the threshold, once each (idA < idB), most similar first. */
  async findPairs(options: FindPairsOptions = {}): Promise<NearDuplicatePair<Id>[]> {
    const threshold = this.checkedThreshold(options.threshold);
    const pairs = new PairCollector<Id>(options.limit);
    const control = new ScanControl(options);
    const { bands } = this.parameters;
    const maxHamming = this.maxHammingFor(threshold);
    const { signatures, vectors, norms, ids } = this;

    for (let band = 0; band < bands; band++) {
      const keys = this.bandKeys[band];
      const members = this.bandEntries[band];
      let bucketStart = 0;
      while (bucketStart < keys.length) {
        let bucketEnd = bucketStart + 1;
        while (bucketEnd < keys.length && keys[bucketEnd] === keys[bucketStart]) bucketEnd++;
        for (let u = bucketStart; u < bucketEnd - 1; u++) {
          const a = members[u];
          for (let v = u + 1; v < bucketEnd; v++) {
            if (control.pauseDue()) await control.pause((band + u / keys.length) / bands);
            const b = members[v];
            if (!isFirstCloseCollision(signatures, a * bands, signatures, b * bands, band, bands, maxHamming)) continue;
            const similarity = dotProduct(vectors[a], vectors[b]) / (norms[a] * norms[b]);
            if (similarity >= threshold) pairs.add(orderedPair(ids[a], ids[b], clampSimilarity(similarity)));
          }
        }
        bucketStart = bucketEnd;
        if (control.pauseDue()) await control.pause((band + bucketStart / keys.length) / bands);
      }
    }
    control.finish();
    return pairs.result();
  }

  /**
   * The indexed entries at or above `threshold` from `vector`, most similar first, at most
   * k. A vector that is itself indexed finds its own entry (similarity 1).
   */
  nearestAbove(vector: Float32Array, threshold = this.parameters.threshold, k = 10): Neighbour<Id>[] {
    const checkedThreshold = this.checkedThreshold(threshold);
    assertLimit(k, 'k');
    if (this.size === 0) return [];
    assertComparable(this.dimensions, vector.length);
    const norm = vectorNorm(vector);
    if (!Number.isFinite(norm)) throw new RangeError('query vector has a non-finite component');
    if (norm === 0) return [];
    const { bands } = this.parameters;
    const maxHamming = this.maxHammingFor(checkedThreshold);
    const query = new Uint32Array(bands);
    this.hasher.sign(vector, query, 0);
    const neighbours: Neighbour<Id>[] = [];
    for (let band = 0; band < bands; band++) {
      const keys = this.bandKeys[band];
      const members = this.bandEntries[band];
      for (let u = lowerBound(keys, query[band]); u < keys.length && keys[u] === query[band]; u++) {
        const entry = members[u];
        if (!isFirstCloseCollision(query, 0, this.signatures, entry * bands, band, bands, maxHamming)) continue;
        const similarity = dotProduct(vector, this.vectors[entry]) / (norm * this.norms[entry]);
        if (similarity >= checkedThreshold) neighbours.push({ id: this.ids[entry], similarity: clampSimilarity(similarity) });
      }
    }
    return mostSimilarNeighbours(neighbours, k);
  }

  private checkedThreshold(threshold: number | undefined): number {
    const value = threshold ?? this.parameters.threshold;
    assertThreshold(value);
    if (value < this.parameters.threshold) {
      throw new RangeError(`threshold ${value} is below the ${this.parameters.threshold} this index was built for`);
    }
    return value;
  }

  /** A higher threshold than the design one allows a tighter Hamming pre-filter at the same miss budget. */
  private maxHammingFor(threshold: number): number {
    const { bands, bandBits, targetRecall } = this.parameters;
    return hammingLimit(bands * bandBits, threshold, (1 - targetRecall) / 2).limit;
  }
}

/**
 * Per band, the hashed entries ordered by band key. Sorting key·n + entry as a float64
 * (exact: keys < 2^24, n < 2^29) groups the buckets with the native numeric sort instead
 * of a comparator; one pass over the signatures fills every band's array.
 */
async function sortBandTables(
  signatures: Uint32Array,
  hashed: readonly number[],
  bands: number,
  control: ScanControl,
): Promise<{ bandKeys: Uint32Array[]; bandEntries: Uint32Array[] }> {
  const n = signatures.length / bands;
  const packed = Array.from({ length: bands }, () => new Float64Array(hashed.length));
  for (let h = 0; h < hashed.length; h++) {
    const entry = hashed[h];
    for (let band = 0; band < bands; band++) packed[band][h] = signatures[entry * bands + band] * n + entry;
  }
  const bandKeys: Uint32Array[] = [];
  const bandEntries: Uint32Array[] = [];
  for (let band = 0; band < bands; band++) {
    const sorted = packed[band].sort();
    const keys = new Uint32Array(hashed.length);
    const members = new Uint32Array(hashed.length);
    for (let h = 0; h < sorted.length; h++) {
      const key = (sorted[h] / n) >>> 0;
      keys[h] = key;
      members[h] = sorted[h] - key * n;
    }
    bandKeys.push(keys);
    bandEntries.push(members);
    if (control.pauseDue(hashed.length)) await control.pause(HASHING_SHARE + ((1 - HASHING_SHARE) * (band + 1)) / bands);
  }
  return { bandKeys, bandEntries };
}

function lowerBound(sorted: Uint32Array, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid] < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
