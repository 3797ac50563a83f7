/**
 * Deterministic bag-of-words vectors by feature hashing: each word and word pair adds a
 * signed weight to one hashed dimension, then the vector is L2-normalised. Texts that
 * share words get similar vectors, which is enough for plumbing, demos and tests, but it
 * is NOT semantic. Used by the offline provider and by the fake OpenAI server.
 */
export function featureHashingVector(text: string, dimensions: number, seed = 0): Float32Array {
  const vector = new Float32Array(dimensions);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const features = words.length > 0 ? words : [text];
  for (let i = 0; i < features.length; i++) {
    addFeature(vector, features[i], 1, seed);
    if (i > 0) addFeature(vector, `${features[i - 1]} ${features[i]}`, 0.5, seed);
  }
  return normalize(vector);
}

function addFeature(vector: Float32Array, feature: string, weight: number, seed: number): void {
  const hash = fnv1a(feature, seed);
  // Two probes per feature spread collisions; the top bit of a second hash picks the sign.
  const second = fnv1a(feature, seed ^ 0x9e3779b9);
  vector[hash % vector.length] += second & 1 ? weight : -weight;
  vector[second % vector.length] += hash & 1 ? weight * 0.5 : -weight * 0.5;
}

export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
  const norm = Math.sqrt(sum);
  if (norm === 0) {
    vector[0] = 1;
    return vector;
  }
  for (let i = 0; i < vector.length; i++) vector[i] /= norm;
  return vector;
}

/** 32-bit FNV-1a over UTF-16 code units, seeded. */
export function fnv1a(text: string, seed = 0): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
