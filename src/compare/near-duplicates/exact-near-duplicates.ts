import { clampSimilarity, dotProduct } from './cosine-similarity';
import {
  assertThreshold,
  DEFAULT_THRESHOLD,
  orderedPair,
  PairCollector,
  type EntryId,
  type NearDuplicatePair,
  type VectorEntry,
} from './near-duplicate-pairs';
import { summarizeEntries } from './vector-entries';

/**
 * Every pair at or above the threshold by checking all n(n−1)/2 pairs exactly: the
 * reference answer, and the faster path for small sets (README: crossover).
 */
export function exactNearDuplicates<Id extends EntryId>(
  entries: readonly VectorEntry<Id>[],
  threshold = DEFAULT_THRESHOLD,
  limit?: number,
): NearDuplicatePair<Id>[] {
  assertThreshold(threshold);
  const pairs = new PairCollector<Id>(limit);
  const { norms } = summarizeEntries(entries);
  for (let a = 0; a < entries.length; a++) {
    if (norms[a] === 0) continue;
    for (let b = a + 1; b < entries.length; b++) {
      if (norms[b] === 0) continue;
      const similarity = dotProduct(entries[a].vector, entries[b].vector) / (norms[a] * norms[b]);
      if (similarity >= threshold) pairs.add(orderedPair(entries[a].id, entries[b].id, clampSimilarity(similarity)));
    }
  }
  return pairs.result();
}
