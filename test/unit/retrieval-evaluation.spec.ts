import { agreementScores, retrievalScores } from '../../src/evaluation/evaluation-scores';
import { parseLabelledQueries } from '../../src/evaluation/labelled-query-import';
import { ndcgAtK, overlapAtK, rankBiasedOverlap } from '../../src/evaluation/retrieval-metrics';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

describe('retrieval metrics for evaluations', () => {
  it('nDCG@k with binary relevance: 1 at the top, 1/log2(r+1) at rank r, normalised by the best order', () => {
    expect(ndcgAtK({ ranked: ['a', 'x'], relevant: new Set(['a']) }, 10)).toBe(1);
    expect(ndcgAtK({ ranked: ['x', 'x2', 'a'], relevant: new Set(['a']) }, 10)).toBeCloseTo(1 / Math.log2(4), 10);
    expect(ndcgAtK({ ranked: ['x', 'a', 'b'], relevant: new Set(['a', 'b']) }, 10)).toBeCloseTo(
      (1 / Math.log2(3) + 1 / Math.log2(4)) / (1 + 1 / Math.log2(3)),
      10,
    );
    expect(ndcgAtK({ ranked: ['x'], relevant: new Set(['a']) }, 10)).toBe(0);
  });

  it('rank-biased overlap: 1 for the same ranking, 0 for disjoint ones, and the top weighs more than the tail', () => {
    const ranking = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    expect(rankBiasedOverlap(ranking, ranking)).toBeCloseTo(1, 10);
    expect(
      rankBiasedOverlap(
        ranking,
        ranking.map((id) => `${id}2`),
      ),
    ).toBe(0);
    const swappedTop = ['b', 'a', ...ranking.slice(2)];
    const swappedTail = [...ranking.slice(0, 8), 'j', 'i'];
    expect(rankBiasedOverlap(ranking, swappedTail)).toBeGreaterThan(rankBiasedOverlap(ranking, swappedTop));
    // Overlap ignores order: both swaps keep all ten.
    expect(overlapAtK(ranking, swappedTop, 10)).toBe(1);
    expect(overlapAtK(['a', 'b'], ['b', 'c'], 10)).toBe(0.5);
  });

  it('scores overall and per category, and agreement per category filter', () => {
    const scores = retrievalScores([
      { category: 'x', ranked: ['a'], relevant: new Set(['a']) },
      { category: 'y', ranked: ['b', 'c'], relevant: new Set(['c']) },
    ]);
    expect(scores.overall).toEqual({ queries: 2, 'recall@1': 0.5, 'recall@5': 1, 'recall@10': 1, 'mrr@10': 0.75, 'ndcg@10': expect.any(Number) });
    expect(Object.keys(scores.byCategory)).toEqual(['x', 'y']);
    expect(scores.byCategory.y['mrr@10']).toBe(0.5);
    expect(agreementScores([{ category: 'x', ranked: ['a', 'b'], baseline: ['b', 'a'] }]).overall).toMatchObject({ queries: 1, overlapAt10: 1 });
  });
});

describe('labelled query files', () => {
  it('reads JSON Lines and CSV, with their line numbers, lower-cased ids and optional category', () => {
    expect(parseLabelledQueries('jsonl', `\n${JSON.stringify({ query: ' q1 ', relevantPairIds: [A.toUpperCase()] })}\n`)).toEqual([
      { query: 'q1', relevantPairIds: [A], category: undefined, line: 2 },
    ]);
    const csv = `query,relevant_pair_ids,category\n"a, quoted query",${A}|${B},billing\nplain,${B}; ${A},\n`;
    expect(parseLabelledQueries('csv', csv)).toEqual([
      { query: 'a, quoted query', relevantPairIds: [A, B], category: 'billing', line: 2 },
      { query: 'plain', relevantPairIds: [B, A], category: undefined, line: 3 },
    ]);
  });

  it('refuses a bad file whole, naming each bad line (at most 20, then how many more)', () => {
    const lines = Array.from({ length: 30 }, () => '{"query": ""}').join('\n');
    try {
      parseLabelledQueries('jsonl', lines);
      throw new Error('accepted');
    } catch (error) {
      const details = (error as { details: Array<{ field: string; problem: string }> }).details;
      expect(details).toHaveLength(21);
      expect(details[0]).toEqual({ field: 'content', problem: 'line 1: query: must be a non-blank string' });
      expect(details[20].problem).toBe('and 10 more problems');
    }
  });
});
