import { ndcgAtK, overlapAtK, rankBiasedOverlap, recallAtK, reciprocalRankAtK } from './retrieval-metrics';

export const GATE_METRICS = ['recall@1', 'recall@5', 'recall@10', 'mrr@10', 'ndcg@10'] as const;
export type GateMetric = (typeof GATE_METRICS)[number];

/** Means over labelled queries. */
export type RetrievalScores = { queries: number } & Record<GateMetric, number>;

/** Means over captured queries: how far a model's top 10 moves from the active model's. */
export interface AgreementScores {
  queries: number;
  overlapAt10: number;
  rankBiasedOverlap: number;
}

export interface ScoredQuery {
  category: string;
  ranked: readonly string[];
  relevant: ReadonlySet<string>;
}

export interface ComparedQuery {
  category: string;
  ranked: readonly string[];
  baseline: readonly string[];
}

/** A category name for queries that have none. */
export const UNCATEGORISED = '(none)';

export function retrievalScores(queries: readonly ScoredQuery[]): { overall: RetrievalScores; byCategory: Record<string, RetrievalScores> } {
  return byCategory(queries, (group) => ({
    queries: group.length,
    'recall@1': mean(group, (q) => recallAtK(q, 1)),
    'recall@5': mean(group, (q) => recallAtK(q, 5)),
    'recall@10': mean(group, (q) => recallAtK(q, 10)),
    'mrr@10': mean(group, (q) => reciprocalRankAtK(q, 10)),
    'ndcg@10': mean(group, (q) => ndcgAtK(q, 10)),
  }));
}

export function agreementScores(queries: readonly ComparedQuery[]): { overall: AgreementScores; byCategory: Record<string, AgreementScores> } {
  return byCategory(queries, (group) => ({
    queries: group.length,
    overlapAt10: mean(group, (q) => overlapAtK(q.ranked, q.baseline, 10)),
    rankBiasedOverlap: mean(group, (q) => rankBiasedOverlap(q.ranked, q.baseline, 0.9, 10)),
  }));
}

function byCategory<Q extends { category: string }, S>(
  queries: readonly Q[],
  score: (group: readonly Q[]) => S,
): { overall: S; byCategory: Record<string, S> } {
  const groups = new Map<string, Q[]>();
  for (const query of queries) {
    const group = groups.get(query.category) ?? [];
    group.push(query);
    groups.set(query.category, group);
  }
  const categories = [...groups.keys()].sort();
  return { overall: score(queries), byCategory: Object.fromEntries(categories.map((category) => [category, score(groups.get(category)!)])) };
}

function mean<Q>(items: readonly Q[], value: (item: Q) => number): number {
  if (items.length === 0) return 0;
  let sum = 0;
  for (const item of items) sum += value(item);
  return Math.round((sum / items.length) * 10_000) / 10_000;
}
