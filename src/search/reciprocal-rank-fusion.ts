export interface FusedRank {
  id: string;
  /** Sum over the lists that hold the id of 1 / (k + rank), rank counted from 1. */
  score: number;
}

/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, 2009): merges ranked lists by rank
 * alone, so scores on different scales (cosine similarity, ts_rank) need no calibration.
 * Ties go to the id with the better single rank, then to the id, so the order is stable.
 */
export function fuseByReciprocalRank(lists: ReadonlyArray<ReadonlyArray<string>>, k: number): FusedRank[] {
  if (!(Number.isFinite(k) && k > 0)) throw new RangeError(`reciprocal rank fusion: k must be positive, got ${k}`);
  const fused = new Map<string, { score: number; bestRank: number }>();
  for (const list of lists) {
    list.forEach((id, index) => {
      const rank = index + 1;
      const entry = fused.get(id) ?? { score: 0, bestRank: rank };
      entry.score += 1 / (k + rank);
      entry.bestRank = Math.min(entry.bestRank, rank);
      fused.set(id, entry);
    });
  }
  return [...fused.entries()]
    .sort(([idA, a], [idB, b]) => b.score - a.score || a.bestRank - b.bestRank || (idA < idB ? -1 : idA > idB ? 1 : 0))
    .map(([id, { score }]) => ({ id, score }));
}
