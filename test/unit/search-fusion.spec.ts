import { degradedReason } from '../../src/search/degraded-reason';
import { normalizeQuery } from '../../src/search/query-text';
import { fuseByReciprocalRank } from '../../src/search/reciprocal-rank-fusion';
import { meanRetrievalScores, recallAtK, reciprocalRankAtK } from '../../src/evaluation/retrieval-metrics';
import { ProviderError } from '../../src/embeddings/providers/provider-error';
import { ProviderUnavailableError } from '../../src/circuit-breaker/provider-unavailable-error';

describe('reciprocal rank fusion', () => {
  it('ranks an id found by both lists above ids found by one', () => {
    const fused = fuseByReciprocalRank(
      [
        ['a', 'b', 'c'],
        ['c', 'd'],
      ],
      60,
    );
    expect(fused.map((f) => f.id)).toEqual(['c', 'a', 'b', 'd']);
    expect(fused[0].score).toBeCloseTo(1 / 63 + 1 / 61, 12);
    expect(fused[1].score).toBeCloseTo(1 / 61, 12);
  });

  it('breaks equal scores by the better single rank, then by id', () => {
    // k = 1: m = 1/2 (best rank 1), z2 = 1/2 (best rank 1), n = 1/4 + 1/4 (best rank 3), z1 = z3 = 1/3.
    expect(
      fuseByReciprocalRank(
        [
          ['m', 'z1', 'n'],
          ['z2', 'z3', 'n'],
        ],
        1,
      ).map((f) => f.id),
    ).toEqual(['m', 'z2', 'n', 'z1', 'z3']);
  });

  it('lets k weigh how much top ranks dominate', () => {
    // p is first in one list; q is fourth in two. k = 1: p 1/2 > q 2/5. k = 60: p 1/61 < q 2/64.
    const lists = [
      ['p', 'a', 'b', 'q'],
      ['c', 'd', 'e', 'q'],
    ];
    const position = (k: number, id: string) => fuseByReciprocalRank(lists, k).findIndex((f) => f.id === id);
    expect(position(1, 'p')).toBeLessThan(position(1, 'q'));
    expect(position(60, 'q')).toBeLessThan(position(60, 'p'));
  });

  it('refuses a k that is not positive', () => {
    expect(() => fuseByReciprocalRank([['a']], 0)).toThrow(RangeError);
  });
});

describe('search query text and degraded reasons', () => {
  it('normalises Unicode and whitespace but keeps case', () => {
    expect(normalizeQuery('  Ｈow   do\tI\nreset?  ')).toBe('How do I reset?');
    expect(normalizeQuery('US')).not.toBe(normalizeQuery('us'));
  });

  it('degrades on provider failures and unreachable dependencies, not on bugs', () => {
    expect(degradedReason(new ProviderUnavailableError('openai', 'breaker_open', 1000, 'open'))).toBe('breaker_open');
    expect(degradedReason(new ProviderError('transient', 'provider answered 500'))).toBe('provider_transient');
    expect(degradedReason(new Error('Connection is closed.'))).toBe('dependency_unavailable');
    expect(degradedReason(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBeUndefined();
  });
});

describe('retrieval metrics', () => {
  const query = (ranked: string[], relevant: string[]) => ({ ranked, relevant: new Set(relevant) });

  it('computes recall@k and reciprocal rank@k', () => {
    expect(recallAtK(query(['a', 'b', 'c'], ['c', 'z']), 3)).toBe(0.5);
    expect(recallAtK(query(['a', 'b', 'c'], ['c']), 2)).toBe(0);
    expect(reciprocalRankAtK(query(['a', 'b', 'c'], ['c', 'b']), 10)).toBe(0.5);
    expect(reciprocalRankAtK(query(['a', 'b', 'c'], ['c']), 2)).toBe(0);
  });

  it('averages over queries', () => {
    const scores = meanRetrievalScores([query(['a'], ['a']), query(['b', 'a'], ['a']), query(['x'], ['a'])], 10);
    expect(scores.recall).toBeCloseTo(2 / 3, 12);
    expect(scores.mrr).toBeCloseTo((1 + 0.5 + 0) / 3, 12);
  });
});
