/** Thrown when two vectors that must be compared have different lengths. */
export class DimensionMismatchError extends Error {
  constructor(
    readonly lengthA: number,
    readonly lengthB: number,
  ) {
    super(`vector dimensions differ: ${lengthA} and ${lengthB}`);
    this.name = 'DimensionMismatchError';
  }
}

/** Thrown when a vector to compare has no components at all. */
export class EmptyVectorError extends Error {
  constructor() {
    super('cannot compare empty vectors');
    this.name = 'EmptyVectorError';
  }
}

export function assertComparable(lengthA: number, lengthB: number): void {
  if (lengthA !== lengthB) throw new DimensionMismatchError(lengthA, lengthB);
  if (lengthA === 0) throw new EmptyVectorError();
}

/**
 * Cosine similarity in [-1, 1], accumulated in float64 with Neumaier compensation so
 * the rounding error does not grow with the dimension. A zero vector has no direction:
 * its similarity to anything (itself included) is defined as 0. Non-finite components
 * give NaN.
 */
export function cosineSimilarity(vec1: ArrayLike<number>, vec2: ArrayLike<number>): number {
  assertComparable(vec1.length, vec2.length);
  const dot = new CompensatedSum();
  const squares1 = new CompensatedSum();
  const squares2 = new CompensatedSum();
  for (let i = 0; i < vec1.length; i++) {
    const a = vec1[i];
    const b = vec2[i];
    dot.add(a * b);
    squares1.add(a * a);
    squares2.add(b * b);
  }
  const norms = Math.sqrt(squares1.total()) * Math.sqrt(squares2.total());
  if (norms === 0) return 0;
  return clampSimilarity(dot.total() / norms);
}

/**
 * Dot product of two float32 vectors of equal length, accumulated in float64 (each
 * float32 product is exact in float64). The fast path for pre-normalised vectors; it
 * does not check lengths.
 */
export function dotProduct(a: Float32Array, b: Float32Array): number {
  // Four independent sums let the CPU overlap the additions.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const length = a.length;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < length; i++) s0 += a[i] * b[i];
  return s0 + s1 + (s2 + s3);
}

/** Euclidean length in float64. */
export function vectorNorm(vector: Float32Array): number {
  return Math.sqrt(dotProduct(vector, vector));
}

/** Rounding can push a similarity of (anti)parallel vectors just past ±1. */
export function clampSimilarity(similarity: number): number {
  return similarity > 1 ? 1 : similarity < -1 ? -1 : similarity;
}

class CompensatedSum {
  private sum = 0;
  private compensation = 0;

  add(value: number): void {
    const next = this.sum + value;
    this.compensation += Math.abs(this.sum) >= Math.abs(value) ? this.sum - next + value : value - next + this.sum;
    this.sum = next;
  }

  total(): number {
    return this.sum + this.compensation;
  }
}
