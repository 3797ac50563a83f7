import { assertComparable, vectorNorm } from './cosine-similarity';
import type { EntryId, VectorEntry } from './near-duplicate-pairs';

export interface EntriesSummary {
  /** 0 when there are no entries. */
  dimensions: number;
  /** Euclidean length of each entry's vector, in entry order. */
  norms: Float64Array;
}

/**
 * Checks what every scan relies on (one dimension for all, unique ids, finite components)
 * and measures the norms, so vectors need not be normalised or copied.
 */
export function summarizeEntries<Id extends EntryId>(entries: readonly VectorEntry<Id>[]): EntriesSummary {
  const dimensions = entries.length > 0 ? entries[0].vector.length : 0;
  const norms = new Float64Array(entries.length);
  const seen = new Set<Id>();
  for (let i = 0; i < entries.length; i++) {
    const { id, vector } = entries[i];
    assertComparable(dimensions, vector.length);
    if (seen.has(id)) throw new RangeError(`duplicate id ${String(id)}`);
    seen.add(id);
    norms[i] = vectorNorm(vector);
    if (!Number.isFinite(norms[i])) throw new RangeError(`vector of id ${String(id)} has a non-finite component`);
  }
  return { dimensions, norms };
}
