import { endianness } from 'node:os';
import { featureHashingVector, normalize } from '../../src/embeddings/providers/feature-hashing';
import type { EmbeddingModel } from './models';

// OpenAI's base64 is float32 little-endian, and a Float32Array's bytes are the machine's order.
if (endianness() !== 'LE') throw new Error('fake-openai encodes base64 vectors from memory and needs a little-endian machine');

export interface VectorOptions {
  model: EmbeddingModel;
  dimensions: number;
  variant: number;
  /** Standard deviation of the gaussian noise per component; 0 for none. */
  noise: number;
}

/**
 * The model's vector for `text`: feature hashing at the model's native size seeded by the
 * variant, then (like OpenAI's Matryoshka truncation) the first `dimensions` components
 * renormalised, then optional noise.
 */
export function embeddingVector(text: string, options: VectorOptions): Float32Array {
  const native = featureHashingVector(text, options.model.nativeDimensions, options.variant);
  const vector = options.dimensions < native.length ? normalize(native.subarray(0, options.dimensions)) : native;
  if (options.noise > 0) {
    for (let i = 0; i < vector.length; i++) vector[i] += options.noise * gaussian();
    normalize(vector);
  }
  return vector;
}

export function encodeVector(vector: Float32Array, encoding: 'float' | 'base64'): string | number[] {
  return encoding === 'base64' ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64') : Array.from(vector);
}

/** Box–Muller: a standard normal sample. */
function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}
