/** What a migration is expected to cost and take, computed before it starts (and kept on its record). */
export interface MigrationEstimate {
  /** Pairs whose current content has no embedding under the target model. */
  pairs: number;
  /** cl100k_base tokens of those pairs, counted locally. */
  tokens: number;
  /** Of `pairs`, those whose tokens came from the source model's stored count (same text, same tokenizer). */
  pairsWithStoredTokenCounts: number;
  /** tokens × the target's price, exact decimal. */
  costUsd: string;
  pricePerMillionTokens: string;
  /** Provider requests at the queue's batch limits. */
  requests: number;
  rateLimit: { requestsPerMinute: number | null; tokensPerMinute: number | null; seconds: number | null };
  throughput: { pairsPerSecond: number | null; source: 'last-migration' | 'recent-throughput' | null; seconds: number | null };
  /** The slower of the two bounds above; null when neither is known. */
  etaSeconds: number | null;
}

/** Old vs new on a sample: how many of each pair's 10 nearest neighbours both models agree on. */
export interface NeighbourComparison {
  k: number;
  sampleSize: number;
  meanOverlap: number;
  medianOverlap: number;
  p10Overlap: number;
  minOverlap: number;
  /** Share of pairs embedded under the target when sampled: below 1 the overlap is understated. */
  targetCoverage: number;
  computedAt: string;
  /** The sampled pairs the models disagree on most. */
  lowest: Array<{ qaPairId: string; overlap: number }>;
}

/** One observation of a migration's progress, as the iterator and the SSE stream give it. */
export interface MigrationProgress {
  total: number;
  completed: number;
  failed: number;
  /** (completed + failed) / total × 100: every pair has been dealt with at 100. */
  percentage: number;
}
