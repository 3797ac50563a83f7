import { BandedSimHash, isFirstCloseCollision } from './banded-simhash';
import { assertComparable, clampSimilarity, dotProduct, vectorNorm } from './cosine-similarity';
import { EXACT_SCAN_MAX_ENTRIES } from './find-near-duplicates';
import { chooseLshParameters, type LshParameters } from './lsh-parameters';
import { DEFAULT_SEED, DEFAULT_TARGET_RECALL } from './near-duplicate-index';
import {
  assertLimit,
  DEFAULT_THRESHOLD,
  orderedPair,
  PairCollector,
  type EntryId,
  type NearDuplicatePair,
  type VectorEntry,
} from './near-duplicate-pairs';
import { ScanControl, type ScanOptions } from './scan-control';

// Bound once: a global lookup of Math is ~100× slower inside a vm sandbox such as Jest's.
const { max, min } = Math;

/**
 * Where a bounded scan reads its vectors: every vector once, page by page (to sign it),
 * then the candidates' vectors again by id (for the exact check). Both must see the same
 * data (one snapshot): a vector read back must be the one that was signed.
 */
export interface VectorSource<Id extends EntryId> {
  /** Every vector once. Ids are unique. A page is not referenced once the next is asked for. */
  pages(): AsyncIterable<readonly VectorEntry<Id>[]>;
  /** The vectors of these ids. */
  vectorsOf(ids: readonly Id[]): Promise<Map<Id, Float32Array>>;
  /** How many vectors `pages` will give (for progress only). */
  readonly expected?: number;
}

export interface BoundedScanOptions extends ScanOptions {
  threshold?: number;
  targetRecall?: number;
  bandBits?: number;
  seed?: number;
  /** Keep only the most similar pairs. */
  limit?: number;
  /** Most full vectors read back at once for the exact check (default 2,048 ≈ 12 MB at 1536 dimensions). */
  vectorsPerCheck?: number;
}

export interface BoundedScanResult<Id extends EntryId> {
  /** Most similar first, at most `limit`. */
  pairs: NearDuplicatePair<Id>[];
  /** Vectors signed (zero vectors are never near anything and are skipped). */
  vectors: number;
  /** Candidate pairs that went to the exact check. */
  candidates: number;
  parameters: LshParameters;
  /** Reading and signing every vector. */
  signingSeconds: number;
  /** Band sorts and exact checks (reading candidates' vectors back included). */
  searchSeconds: number;
}

export const DEFAULT_VECTORS_PER_CHECK = 2_048;
/** Share of the progress spent reading and signing every vector (the rest: band sorts and exact checks). */
export const SIGNING_SHARE = 0.8;
/** Candidate pairs per exact-check block, so the pair lists stay small too. */
const PAIRS_PER_CHECK = 65_536;
/** Entries per signature chunk: 2^16, so an entry's chunk is `entry >>> 16`. */
const CHUNK_BITS = 16;
const CHUNK_MASK = (1 << CHUNK_BITS) - 1;

/**
 * Near-duplicate pairs of a set of any size with bounded memory: the same banded SimHash
 * LSH as `NearDuplicateIndex` (same parameters and seed, so the same candidates and the
 * same pairs), but only the compact signatures (bands × 4 bytes per vector, 304 B at the
 * defaults) and ids stay in memory. Vectors are streamed once to be signed; the band
 * tables are built one band at a time; candidates' vectors are read back in blocks of at
 * most `vectorsPerCheck` for the exact float64 check. At 1M vectors: ~300 MB of signatures,
 * one band table (12 MB), one block of vectors, and the ids, instead of 6 GB of vectors.
 * Up to 64 vectors every pair is a candidate (exact, as `findNearDuplicates` does).
 */
export async function findNearDuplicatesBounded<Id extends EntryId>(
  source: VectorSource<Id>,
  options: BoundedScanOptions = {},
): Promise<BoundedScanResult<Id>> {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const vectorsPerCheck = options.vectorsPerCheck ?? DEFAULT_VECTORS_PER_CHECK;
  assertLimit(options.limit);
  if (!(Number.isInteger(vectorsPerCheck) && vectorsPerCheck >= 2))
    throw new RangeError(`vectorsPerCheck must be a whole number ≥ 2, got ${vectorsPerCheck}`);
  const parameters = chooseLshParameters(threshold, options.targetRecall ?? DEFAULT_TARGET_RECALL, options.bandBits);
  const control = new ScanControl(options);

  const started = performance.now();
  const signed = await signAll(source, parameters, options.seed ?? DEFAULT_SEED, control);
  const signingSeconds = secondsSince(started);
  const checks = new ExactChecks(source, signed.ids, threshold, vectorsPerCheck, new PairCollector<Id>(options.limit));
  await findCandidates(signed, parameters.bands, parameters.maxHammingDistance, checks, control);
  await checks.flush();
  const pairs = checks.result();
  control.finish();
  return {
    pairs,
    vectors: signed.ids.length,
    candidates: checks.candidates,
    parameters,
    signingSeconds,
    searchSeconds: secondsSince(started) - signingSeconds,
  };
}

/** Ids and band signatures of every non-zero vector, in reading order. */
interface SignedEntries<Id extends EntryId> {
  ids: Id[];
  signatures: SignatureStore;
}

async function signAll<Id extends EntryId>(
  source: VectorSource<Id>,
  { bands, bandBits }: LshParameters,
  seed: number,
  control: ScanControl,
): Promise<SignedEntries<Id>> {
  const ids: Id[] = [];
  const signatures = new SignatureStore(bands);
  let hasher: BandedSimHash | undefined;
  let dimensions = 0;
  let read = 0;
  for await (const page of source.pages()) {
    for (const { id, vector } of page) {
      read++;
      if (!hasher) {
        dimensions = vector.length;
        hasher = new BandedSimHash(Math.max(1, dimensions), bands, bandBits, seed);
      }
      assertComparable(dimensions, vector.length);
      const norm = vectorNorm(vector);
      if (!Number.isFinite(norm)) throw new RangeError(`vector of id ${String(id)} has a non-finite component`);
      if (norm === 0) continue;
      const { words, offset } = signatures.append();
      hasher.sign(vector, words, offset);
      ids.push(id);
      if (control.pauseDue()) await control.pause(SIGNING_SHARE * Math.min(1, read / Math.max(1, source.expected ?? read)));
    }
  }
  return { ids, signatures };
}

/**
 * Per band, sorts the entries by band key (float64 `key·n + entry`, as the index does) in
 * one reused buffer and hands every first close collision of a bucket to the exact check.
 */
async function findCandidates<Id extends EntryId>(
  { ids, signatures }: SignedEntries<Id>,
  bands: number,
  maxHamming: number,
  checks: ExactChecks<Id>,
  control: ScanControl,
): Promise<void> {
  const n = ids.length;
  if (n <= EXACT_SCAN_MAX_ENTRIES) {
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        if (!checks.hasRoomFor(a, b)) await checks.flush();
        checks.add(a, b);
      }
    }
    return;
  }
  const packed = new Float64Array(n);
  const members = new Uint32Array(n);
  const tile = checks.vectorsPerCheck >>> 1;
  const progress = (band: number, position: number) => SIGNING_SHARE + ((1 - SIGNING_SHARE) * (band + position / Math.max(1, n))) / bands;
  for (let band = 0; band < bands; band++) {
    for (let entry = 0; entry < n; entry++) packed[entry] = signatures.word(entry, band) * n + entry;
    packed.sort();
    let bucketStart = 0;
    while (bucketStart < n) {
      // Exact: keys < 2^24 and n < 2^29 (see sortBandTables in near-duplicate-index).
      const key = (packed[bucketStart] / n) >>> 0;
      let bucketEnd = bucketStart;
      while (bucketEnd < n && (packed[bucketEnd] / n) >>> 0 === key) {
        members[bucketEnd] = packed[bucketEnd] - key * n;
        bucketEnd++;
      }
      // A bucket larger than a block (thousands of identical rows) is walked in tiles, so each
      // block covers a tile pair and a vector is read back about size / tile times, not once per pair.
      for (let tileU = bucketStart; tileU < bucketEnd; tileU += tile) {
        for (let tileV = tileU; tileV < bucketEnd; tileV += tile) {
          const endU = min(tileU + tile, bucketEnd);
          const endV = min(tileV + tile, bucketEnd);
          for (let u = tileU; u < endU; u++) {
            const a = members[u];
            const wordsA = signatures.chunkOf(a);
            const offsetA = signatures.offsetOf(a);
            for (let v = max(u + 1, tileV); v < endV; v++) {
              const b = members[v];
              if (!isFirstCloseCollision(wordsA, offsetA, signatures.chunkOf(b), signatures.offsetOf(b), band, bands, maxHamming)) continue;
              if (!checks.hasRoomFor(a, b)) await checks.flush();
              checks.add(a, b);
              if (control.pauseDue()) await control.pause(progress(band, u));
            }
          }
        }
      }
      bucketStart = bucketEnd;
      if (control.pauseDue()) await control.pause(progress(band, bucketStart));
    }
  }
}

/**
 * Signatures in fixed chunks (no copy when growing, no one huge allocation): entry i's
 * `bands` words are in chunk i >>> 16, at offset (i & 0xffff) · bands.
 */
class SignatureStore {
  private readonly chunks: Uint32Array[] = [];
  private count = 0;

  constructor(private readonly bands: number) {}

  append(): { words: Uint32Array; offset: number } {
    if ((this.count & CHUNK_MASK) === 0) this.chunks.push(new Uint32Array((CHUNK_MASK + 1) * this.bands));
    const entry = this.count++;
    return { words: this.chunkOf(entry), offset: this.offsetOf(entry) };
  }

  chunkOf(entry: number): Uint32Array {
    return this.chunks[entry >>> CHUNK_BITS];
  }

  offsetOf(entry: number): number {
    return (entry & CHUNK_MASK) * this.bands;
  }

  word(entry: number, band: number): number {
    return this.chunkOf(entry)[this.offsetOf(entry) + band];
  }
}

/**
 * Candidate pairs waiting for their exact check, in blocks that name at most
 * `vectorsPerCheck` distinct entries: a flush reads exactly those vectors back from the
 * source, checks every pair of the block in float64, and lets the vectors go.
 */
class ExactChecks<Id extends EntryId> {
  candidates = 0;
  private firsts: number[] = [];
  private seconds: number[] = [];
  private readonly entries = new Set<number>();

  constructor(
    private readonly source: VectorSource<Id>,
    private readonly ids: readonly Id[],
    private readonly threshold: number,
    readonly vectorsPerCheck: number,
    private readonly pairs: PairCollector<Id>,
  ) {}

  hasRoomFor(a: number, b: number): boolean {
    const added = (this.entries.has(a) ? 0 : 1) + (this.entries.has(b) ? 0 : 1);
    return this.entries.size + added <= this.vectorsPerCheck && this.firsts.length < PAIRS_PER_CHECK;
  }

  add(a: number, b: number): void {
    this.firsts.push(a);
    this.seconds.push(b);
    this.entries.add(a);
    this.entries.add(b);
    this.candidates++;
  }

  async flush(): Promise<void> {
    if (this.firsts.length === 0) return;
    const { ids } = this;
    const vectors = await this.source.vectorsOf([...this.entries].map((entry) => ids[entry]));
    const norms = new Map<Id, number>();
    for (const [id, vector] of vectors) norms.set(id, vectorNorm(vector));
    for (let k = 0; k < this.firsts.length; k++) {
      const idA = ids[this.firsts[k]];
      const idB = ids[this.seconds[k]];
      const vectorA = vectors.get(idA);
      const vectorB = vectors.get(idB);
      if (!vectorA || !vectorB) continue;
      const similarity = dotProduct(vectorA, vectorB) / (norms.get(idA)! * norms.get(idB)!);
      if (similarity >= this.threshold) this.pairs.add(orderedPair(idA, idB, clampSimilarity(similarity)));
    }
    this.firsts = [];
    this.seconds = [];
    this.entries.clear();
  }

  result(): NearDuplicatePair<Id>[] {
    return this.pairs.result();
  }
}

function secondsSince(started: number): number {
  return Math.round(performance.now() - started) / 1000;
}
