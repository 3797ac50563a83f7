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

/** nDCG@k with binary relevance: the top k's DCG over the best DCG its relevant ids allow. */
export function ndcgAtK({ ranked, relevant }: RankedQuery, k: number): number {
  if (relevant.size === 0) return 1;
  let dcg = 0;
  ranked.slice(0, k).forEach((id, index) => {
    if (relevant.has(id)) dcg += 1 / Math.log2(index + 2);
  });
  let ideal = 0;
  for (let index = 0; index < Math.min(k, relevant.size); index++) ideal += 1 / Math.log2(index + 2);
  return dcg / ideal;
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

/** Share of the first k of `a` found in the first k of `b` (1 when both are empty). */
export function overlapAtK(a: readonly string[], b: readonly string[], k: number): number {
  const top = a.slice(0, k);
  const other = new Set(b.slice(0, k));
  const listed = Math.max(top.length, other.size);
  if (listed === 0) return 1;
  return top.filter((id) => other.has(id)).length / listed;
}

/**
 * Rank-biased overlap (Webber, Moffat & Zobel 2010) of two rankings cut at depth k, with
 * persistence p: agreement at the top weighs most. Extrapolated (RBO_ext), so two identical
 * lists score 1 and two disjoint ones 0.
 */
export function rankBiasedOverlap(a: readonly string[], b: readonly string[], p = 0.9, k = 10): number {
  const depth = Math.min(k, Math.max(a.length, b.length));
  if (depth === 0) return 1;
  const seenA = new Set<string>();
  const seenB = new Set<string>();
  let shared = 0;
  let sum = 0;
  for (let d = 1; d <= depth; d++) {
    const x = a[d - 1];
    const y = b[d - 1];
    if (x !== undefined && x === y) shared++;
    else {
      if (x !== undefined && seenB.has(x)) shared++;
      if (y !== undefined && seenA.has(y)) shared++;
    }
    if (x !== undefined) seenA.add(x);
    if (y !== undefined) seenB.add(y);
    sum += (shared / d) * p ** d;
  }
  return ((1 - p) / p) * sum + (shared / depth) * p ** depth;
}
