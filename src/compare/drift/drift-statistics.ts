export type DriftVerdict = 'stable' | 'drifted' | 'no_data';

/** A re-embedded pair: cosine between its fresh vector and the stored one. */
export interface PairSimilarity {
  qaPairId: string;
  similarity: number;
}

export interface DriftStatistics {
  /** Pairs compared. */
  sampleSize: number;
  /** Null when nothing was compared. */
  meanSimilarity: number | null;
  minSimilarity: number | null;
  /** 5th percentile, nearest rank: the ⌈0.05·n⌉-th lowest. */
  p5Similarity: number | null;
  tolerance: number;
  /** Pairs below the tolerance. */
  belowTolerance: number;
  verdict: DriftVerdict;
  /** The least similar pairs of the sample, lowest first (at most LOWEST_KEPT). */
  lowest: PairSimilarity[];
}

export const LOWEST_KEPT = 10;

/**
 * Summarises a drift sample. Call-to-call noise of the same model keeps every pair above
 * the tolerance by orders of magnitude (README "Drift"), so one pair below it already means
 * the vectors for unchanged text changed: the verdict is `drifted`.
 */
export function driftStatistics(similarities: readonly PairSimilarity[], tolerance: number): DriftStatistics {
  const sorted = [...similarities].sort((a, b) => a.similarity - b.similarity || (a.qaPairId < b.qaPairId ? -1 : 1));
  const n = sorted.length;
  if (n === 0) {
    return {
      sampleSize: 0,
      meanSimilarity: null,
      minSimilarity: null,
      p5Similarity: null,
      tolerance,
      belowTolerance: 0,
      verdict: 'no_data',
      lowest: [],
    };
  }
  const belowTolerance = sorted.filter((pair) => pair.similarity < tolerance).length;
  return {
    sampleSize: n,
    meanSimilarity: sorted.reduce((sum, pair) => sum + pair.similarity, 0) / n,
    minSimilarity: sorted[0].similarity,
    p5Similarity: sorted[Math.max(0, Math.ceil(0.05 * n) - 1)].similarity,
    tolerance,
    belowTolerance,
    verdict: belowTolerance > 0 ? 'drifted' : 'stable',
    lowest: sorted.slice(0, LOWEST_KEPT),
  };
}
