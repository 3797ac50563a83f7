import { PseudoRandomRotation } from './random-rotation';
import { SeededRandom } from './seeded-random';

// Bound once: looking up the global Math on every call is ~100× slower inside a vm
// sandbox such as Jest's, and this runs once per candidate pair and band.
const { imul } = Math;

/**
 * Random-hyperplane (SimHash) signatures cut into bands: bit t is the sign of coordinate t
 * of a pseudo-random rotation of the vector (the rotated axes are the hyperplane normals),
 * and each band's `bandBits` bits are packed into one 32-bit word, which is both the band's
 * bucket key and the unit of the Hamming distance.
 */
export class BandedSimHash {
  private readonly rotations: PseudoRandomRotation[] = [];
  private readonly rotated: Float64Array;

  constructor(
    dimensions: number,
    readonly bands: number,
    readonly bandBits: number,
    seed: number,
  ) {
    const random = new SeededRandom(seed);
    const first = new PseudoRandomRotation(dimensions, random);
    const rotationsNeeded = Math.ceil((bands * bandBits) / first.size);
    this.rotations.push(first);
    while (this.rotations.length < rotationsNeeded) this.rotations.push(new PseudoRandomRotation(dimensions, random));
    this.rotated = new Float64Array(first.size);
  }

  /** Writes the `bands` words of the vector's signature to signatures[offset …]. */
  sign(vector: Float32Array, signatures: Uint32Array, offset: number): void {
    const { bands, bandBits, rotated, rotations } = this;
    let rotation = 0;
    let axis = rotated.length;
    for (let band = 0; band < bands; band++) {
      let word = 0;
      for (let bit = 0; bit < bandBits; bit++) {
        if (axis === rotated.length) {
          rotations[rotation++].rotate(vector, rotated);
          axis = 0;
        }
        word = (word << 1) | (rotated[axis++] > 0 ? 1 : 0);
      }
      signatures[offset + band] = word;
    }
  }
}

/**
 * Whether a pair that shares band `band` should go to the exact check: it must not share
 * an earlier band (it was considered there already: so each pair is considered once,
 * without a set of seen pairs), and its signatures differ in at most `maxHamming` bits.
 */
export function isFirstCloseCollision(
  signaturesA: Uint32Array,
  offsetA: number,
  signaturesB: Uint32Array,
  offsetB: number,
  band: number,
  bands: number,
  maxHamming: number,
): boolean {
  let distance = 0;
  for (let b = 0; b < band; b++) {
    const differing = signaturesA[offsetA + b] ^ signaturesB[offsetB + b];
    if (differing === 0) return false;
    distance += popcount32(differing);
  }
  if (distance > maxHamming) return false;
  for (let b = band + 1; b < bands; b++) {
    distance += popcount32(signaturesA[offsetA + b] ^ signaturesB[offsetB + b]);
    if (distance > maxHamming) return false;
  }
  return true;
}

function popcount32(value: number): number {
  let x = value - ((value >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return imul(x, 0x01010101) >>> 24;
}
