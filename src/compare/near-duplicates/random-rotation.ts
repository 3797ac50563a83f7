import type { SeededRandom } from './seeded-random';

/**
 * A fast pseudo-random rotation R = H·D₃·H·D₂·H·D₁ of the input zero-padded to a power
 * of two: Dₖ are random ±1 diagonals, H the Walsh–Hadamard transform. This is the
 * structured rotation of FALCONN (Andoni et al., "Practical and Optimal LSH for Angular
 * Distance", 2015): three rounds make R·x behave like a Haar-random rotation, even for
 * sparse inputs, at O(d log d) instead of the O(d²) of a dense Gaussian matrix. The
 * output is not scaled by 1/√size: only signs are used.
 */
export class PseudoRandomRotation {
  /** Output length: the input dimension rounded up to a power of two. */
  readonly size: number;
  private readonly signs: Float64Array[];

  constructor(
    readonly inputDimensions: number,
    random: SeededRandom,
  ) {
    this.size = nextPowerOfTwo(inputDimensions);
    this.signs = [0, 1, 2].map(() => {
      const diagonal = new Float64Array(this.size);
      for (let i = 0; i < this.size; i++) diagonal[i] = random.nextUint32() & 1 ? 1 : -1;
      return diagonal;
    });
  }

  /** Writes R·vector into `out` (length `size`). */
  rotate(vector: Float32Array, out: Float64Array): void {
    const [first, second, third] = this.signs;
    const dimensions = this.inputDimensions;
    for (let i = 0; i < dimensions; i++) out[i] = vector[i] * first[i];
    out.fill(0, dimensions);
    walshHadamard(out);
    for (let i = 0; i < this.size; i++) out[i] *= second[i];
    walshHadamard(out);
    for (let i = 0; i < this.size; i++) out[i] *= third[i];
    walshHadamard(out);
  }
}

/**
 * In-place unnormalised fast Walsh–Hadamard transform; `values.length` must be a power of
 * two. Radix-8 sweeps (three butterfly levels per pass over the array) then radix-2 for
 * the leftover levels: about 1.8× faster in V8 than the textbook radix-2 loop, with
 * identical results.
 */
export function walshHadamard(values: Float64Array): void {
  const length = values.length;
  let half = 1;
  for (; half * 8 <= length; half *= 8) {
    for (let start = 0; start < length; start += half * 8) {
      for (let i0 = start; i0 < start + half; i0++) {
        const i1 = i0 + half;
        const i2 = i1 + half;
        const i3 = i2 + half;
        const i4 = i3 + half;
        const i5 = i4 + half;
        const i6 = i5 + half;
        const i7 = i6 + half;
        const x0 = values[i0];
        const x1 = values[i1];
        const x2 = values[i2];
        const x3 = values[i3];
        const x4 = values[i4];
        const x5 = values[i5];
        const x6 = values[i6];
        const x7 = values[i7];
        const a0 = x0 + x1;
        const a1 = x0 - x1;
        const a2 = x2 + x3;
        const a3 = x2 - x3;
        const a4 = x4 + x5;
        const a5 = x4 - x5;
        const a6 = x6 + x7;
        const a7 = x6 - x7;
        const b0 = a0 + a2;
        const b1 = a1 + a3;
        const b2 = a0 - a2;
        const b3 = a1 - a3;
        const b4 = a4 + a6;
        const b5 = a5 + a7;
        const b6 = a4 - a6;
        const b7 = a5 - a7;
        values[i0] = b0 + b4;
        values[i1] = b1 + b5;
        values[i2] = b2 + b6;
        values[i3] = b3 + b7;
        values[i4] = b0 - b4;
        values[i5] = b1 - b5;
        values[i6] = b2 - b6;
        values[i7] = b3 - b7;
      }
    }
  }
  for (; half < length; half *= 2) {
    for (let start = 0; start < length; start += half * 2) {
      for (let i = start; i < start + half; i++) {
        const a = values[i];
        const b = values[i + half];
        values[i] = a + b;
        values[i + half] = a - b;
      }
    }
  }
}

function nextPowerOfTwo(value: number): number {
  let power = 1;
  while (power < value) power *= 2;
  return power;
}
