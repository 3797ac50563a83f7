import { assertThreshold } from './near-duplicate-pairs';

/**
 * Parameters of the banded random-hyperplane LSH and the collision-probability maths that
 * picks them (see README "Near-duplicate detection").
 *
 * One random hyperplane separates two vectors at angle θ with probability θ/π, so a
 * signature bit agrees with probability p(s) = 1 − arccos(s)/π for cosine similarity s.
 * A band of r bits agrees with probability p^r; a pair becomes a candidate when at least
 * one of L bands agrees: 1 − (1 − p^r)^L. Candidates whose signatures differ in more than
 * `maxHammingDistance` of the L·r bits are dropped before the exact check.
 */
export interface LshParameters {
  /** The similarity the recall guarantee is designed for; higher thresholds only do better. */
  threshold: number;
  /** The recall the parameters were sized for, at `threshold`. */
  targetRecall: number;
  /** Bits per band (r), at most 24 so a band key fits one word with room to pack an index. */
  bandBits: number;
  /** Number of bands (L). */
  bands: number;
  /** Largest Hamming distance, over all L·r bits, that still goes to the exact check. */
  maxHammingDistance: number;
  /** Lower bound on P(a pair at exactly `threshold` is reported): 1 − P(no band agrees) − P(Hamming too far). */
  recallBound: number;
}

export const MAX_BAND_BITS = 24;
/**
 * The default band width makes one band catch a pair at the threshold with probability
 * about this much; wider bands would cut background candidates further but need more
 * bands (more hashing and sorting). Chosen by measurement (README).
 */
const DEFAULT_BAND_HIT_PROBABILITY = 0.1;

export function bitCollisionProbability(similarity: number): number {
  const clamped = Math.min(1, Math.max(-1, similarity));
  return 1 - Math.acos(clamped) / Math.PI;
}

/** P(the pair shares at least one of the bands) for a pair at `similarity`. */
export function candidateProbability(similarity: number, bandBits: number, bands: number): number {
  return 1 - (1 - bitCollisionProbability(similarity) ** bandBits) ** bands;
}

export function defaultBandBits(threshold: number): number {
  const p = bitCollisionProbability(threshold);
  if (p >= 1) return MAX_BAND_BITS;
  const bits = Math.round(Math.log(DEFAULT_BAND_HIT_PROBABILITY) / Math.log(p));
  return Math.min(MAX_BAND_BITS, Math.max(4, bits));
}

/**
 * Splits the allowed miss probability (1 − targetRecall) evenly between "no band agrees"
 * and "the Hamming pre-filter drops it", and sizes both for a pair at the threshold.
 */
export function chooseLshParameters(threshold: number, targetRecall: number, bandBits = defaultBandBits(threshold)): LshParameters {
  assertThreshold(threshold);
  if (!(targetRecall > 0 && targetRecall < 1)) throw new RangeError(`targetRecall must be in (0, 1), got ${targetRecall}`);
  if (!Number.isInteger(bandBits) || bandBits < 1 || bandBits > MAX_BAND_BITS) {
    throw new RangeError(`bandBits must be a whole number in [1, ${MAX_BAND_BITS}], got ${bandBits}`);
  }
  const missBudget = (1 - targetRecall) / 2;
  const bandHit = bitCollisionProbability(threshold) ** bandBits;
  const bands = bandHit >= 1 ? 1 : Math.max(1, Math.ceil(Math.log(missBudget) / Math.log1p(-bandHit)));
  const bandMiss = (1 - bandHit) ** bands;
  const hamming = hammingLimit(bands * bandBits, threshold, missBudget);
  return { threshold, targetRecall, bandBits, bands, maxHammingDistance: hamming.limit, recallBound: 1 - bandMiss - hamming.missProbability };
}

/**
 * The Hamming pre-filter over `bits` signature bits for pairs at `similarity`: the
 * smallest limit h with P(Binomial(bits, 1 − p(s)) > h) ≤ missBudget, and that probability.
 */
export function hammingLimit(bits: number, similarity: number, missBudget: number): { limit: number; missProbability: number } {
  const disagreement = 1 - bitCollisionProbability(similarity);
  let logPmf = bits * Math.log1p(-disagreement);
  let cumulative = 0;
  for (let k = 0; k < bits; k++) {
    cumulative += Math.exp(logPmf);
    if (1 - cumulative <= missBudget) return { limit: k, missProbability: Math.max(0, 1 - cumulative) };
    logPmf += Math.log((bits - k) / (k + 1)) + Math.log(disagreement) - Math.log1p(-disagreement);
  }
  return { limit: bits, missProbability: 0 };
}
