import { exactNearDuplicates } from './exact-near-duplicates';
import { NearDuplicateIndex, type NearDuplicateIndexOptions } from './near-duplicate-index';
import { DEFAULT_THRESHOLD, type EntryId, type NearDuplicatePair, type VectorEntry } from './near-duplicate-pairs';
import { progressSlice, ScanControl } from './scan-control';

export interface FindNearDuplicatesOptions extends NearDuplicateIndexOptions {
  /** Keep only the most similar pairs. */
  limit?: number;
}

/**
 * Up to this many entries the exact all-pairs check is faster than building an index
 * (measured at 1536 dimensions; README "crossover"), and its recall is exactly 1.
 */
export const EXACT_SCAN_MAX_ENTRIES = 64;
/** Share of an LSH run spent building the index (measured at 20k × 1536 on clustered data). */
const BUILD_SHARE = 0.95;

/** Every pair at or above the threshold, once each (idA < idB), most similar first. */
export async function findNearDuplicates<Id extends EntryId>(
  entries: readonly VectorEntry<Id>[],
  options: FindNearDuplicatesOptions = {},
): Promise<NearDuplicatePair<Id>[]> {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  if (entries.length <= EXACT_SCAN_MAX_ENTRIES) {
    const control = new ScanControl(options);
    const pairs = exactNearDuplicates(entries, threshold, options.limit);
    control.finish();
    return pairs;
  }
  const index = await NearDuplicateIndex.build(entries, progressSlice(options, 0, BUILD_SHARE));
  return index.findPairs({ ...progressSlice(options, BUILD_SHARE, 1), threshold, limit: options.limit });
}

/**
 * At most `limit` pairs (as findNearDuplicates) and whether more were found: it asks for
 * one more than `limit`, which tells whether pairs were cut.
 */
export async function findNearDuplicatesUpTo<Id extends EntryId>(
  entries: readonly VectorEntry<Id>[],
  options: FindNearDuplicatesOptions & { limit: number },
): Promise<{ pairs: NearDuplicatePair<Id>[]; truncated: boolean }> {
  const found = await findNearDuplicates(entries, { ...options, limit: options.limit + 1 });
  const truncated = found.length > options.limit;
  return { pairs: truncated ? found.slice(0, options.limit) : found, truncated };
}
