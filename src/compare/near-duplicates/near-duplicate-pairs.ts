/** Shapes shared by the exact and the LSH near-duplicate scans, and their ordering. */

/** Ids are all numbers or all strings; pairs are ordered by `<` on them. */
export type EntryId = string | number;

export interface VectorEntry<Id extends EntryId> {
  id: Id;
  /** Need not be normalised; the index keeps a reference, never a copy. */
  vector: Float32Array;
}

/** One near-duplicate pair, reported once with idA < idB. */
export interface NearDuplicatePair<Id extends EntryId> {
  idA: Id;
  idB: Id;
  similarity: number;
}

export interface Neighbour<Id extends EntryId> {
  id: Id;
  similarity: number;
}

export const DEFAULT_THRESHOLD = 0.95;

export function compareIds<Id extends EntryId>(a: Id, b: Id): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function orderedPair<Id extends EntryId>(first: Id, second: Id, similarity: number): NearDuplicatePair<Id> {
  return compareIds(first, second) < 0 ? { idA: first, idB: second, similarity } : { idA: second, idB: first, similarity };
}

const TRIM_SLACK = 4096;

/**
 * Collects found pairs. With a limit, memory stays bounded (a table of near-identical rows
 * can yield millions of pairs): whenever limit + TRIM_SLACK have piled up it keeps the best.
 */
export class PairCollector<Id extends EntryId> {
  private pairs: NearDuplicatePair<Id>[] = [];

  constructor(private readonly limit?: number) {
    assertLimit(limit);
  }

  add(pair: NearDuplicatePair<Id>): void {
    this.pairs.push(pair);
    if (this.limit !== undefined && this.pairs.length >= this.limit + TRIM_SLACK) {
      this.pairs = mostSimilarPairs(this.pairs, this.limit);
    }
  }

  /** Most similar first, at most `limit`. */
  result(): NearDuplicatePair<Id>[] {
    return mostSimilarPairs(this.pairs, this.limit);
  }
}

/** Sorts in place, most similar first (ties by idA, then idB), and keeps the first `limit`. */
export function mostSimilarPairs<Id extends EntryId>(pairs: NearDuplicatePair<Id>[], limit?: number): NearDuplicatePair<Id>[] {
  pairs.sort((x, y) => y.similarity - x.similarity || compareIds(x.idA, y.idA) || compareIds(x.idB, y.idB));
  return limit === undefined ? pairs : pairs.slice(0, limit);
}

export function mostSimilarNeighbours<Id extends EntryId>(neighbours: Neighbour<Id>[], k: number): Neighbour<Id>[] {
  neighbours.sort((x, y) => y.similarity - x.similarity || compareIds(x.id, y.id));
  return neighbours.slice(0, k);
}

export function assertThreshold(threshold: number): void {
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
}

export function assertLimit(limit: number | undefined, name = 'limit'): void {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(`${name} must be a whole number ≥ 0, got ${limit}`);
  }
}
