import { dotProduct, vectorNorm } from '../../src/compare/near-duplicates/cosine-similarity';
import type { ExactPairs } from './exact-pairs-numpy';

/**
 * The fallback exact answer when numpy is missing: every pair at or above the threshold
 * that involves one of `queries`, by float64 brute force of each query against all rows.
 */
export function exactPairsForQueries(vectors: Float32Array[], queries: readonly number[], threshold: number): ExactPairs {
  const norms = vectors.map(vectorNorm);
  const seen = new Set<string>();
  const pairs: ExactPairs = [];
  for (const q of queries) {
    for (let j = 0; j < vectors.length; j++) {
      if (j === q || norms[q] === 0 || norms[j] === 0) continue;
      const similarity = dotProduct(vectors[q], vectors[j]) / (norms[q] * norms[j]);
      const [a, b] = q < j ? [q, j] : [j, q];
      if (similarity >= threshold && !seen.has(`${a},${b}`)) {
        seen.add(`${a},${b}`);
        pairs.push([a, b, similarity]);
      }
    }
  }
  return pairs;
}
