/** One query's ranked answer ids and the ids that should answer it. */
export interface RankedQuery {
  ranked: readonly string[];
  relevant: ReadonlySet<string>;
}

/** Share of a query's relevant ids found in its top k (1 when it has none relevant: nothing to miss). */
export function recallAtK({ ranked, relevant }: RankedQuery, k: number): number {
  if (relevant.size === 0) return 1;
  let found = 0;
  for (const id of ranked.slice(0, k)) if (relevant.has(id)) found++;
  return found / relevant.size;
}

/** 1 / rank of the first relevant id within the top k, 0 when none is there. */
export function reciprocalRankAtK({ ranked, relevant }: RankedQuery, k: number): number {
  const index = ranked.slice(0, k).findIndex((id) => relevant.has(id));
  return index < 0 ? 0 : 1 / (index + 1);
}

/** Means over queries of recall@k and MRR@k. */
export function meanRetrievalScores(queries: readonly RankedQuery[], k: number): { recall: number; mrr: number } {
  if (queries.length === 0) return { recall: Number.NaN, mrr: Number.NaN };
  let recall = 0;
  let mrr = 0;
  for (const query of queries) {
    recall += recallAtK(query, k);
    mrr += reciprocalRankAtK(query, k);
  }
  return { recall: recall / queries.length, mrr: mrr / queries.length };
}
