import type { AgreementScores, GateMetric, RetrievalScores } from '../evaluation/evaluation-scores';

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
  /** What the quality gate's evaluations of both models will read and spend. */
  /** Both lanes side by side: cost, and time (live: the ETA above; batch: its 24 h windows, an upper bound). */
  lanes?: {
    live: { costUsd: string; etaSeconds: number | null };
    batch: { costUsd: string; pricePerMillionTokens: string; batches: number; etaSeconds: number };
  };
  qualityGate?: { labelledQueries: number; capturedQueries: number; tokens: number; costUsd: string; warning: string | null };
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

/**
 * The quality gate's judgement once the target is filled: both models evaluated on the
 * labelled queries, the target held when it falls below the source by more than `margin`
 * on `metric`.
 */
export interface GateVerdict {
  /** passed: cut over (automatically if asked); held: waits in `ready` for an admin; no_labelled_queries: nothing to judge by, today's behaviour. */
  verdict: 'passed' | 'held' | 'no_labelled_queries';
  metric: GateMetric;
  margin: number;
  source: { model: string; evaluationId: string; scores: RetrievalScores } | null;
  target: { model: string; evaluationId: string; scores: RetrievalScores; agreement: AgreementScores | null } | null;
  /** target − source on `metric`. */
  difference: number | null;
  message: string;
  judgedAt: string;
}
