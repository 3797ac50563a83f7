import { featureHashingVector } from '../../src/embeddings/providers/feature-hashing';

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}

describe('featureHashingVector', () => {
  it('is deterministic, unit length, and closer for texts that share words', () => {
    const a = featureHashingVector('How do I reset my password?', 384);
    const again = featureHashingVector('How do I reset my password?', 384);
    const near = featureHashingVector('how can I reset my password', 384);
    const far = featureHashingVector('Which regions host the database?', 384);
    expect(Array.from(again)).toEqual(Array.from(a));
    expect(cosine(a, a)).toBeCloseTo(1, 5);
    expect(cosine(a, near)).toBeGreaterThan(0.5);
    expect(cosine(a, near)).toBeGreaterThan(cosine(a, far) + 0.3);
  });

  it('changes every vector when the seed changes', () => {
    const a = featureHashingVector('same text', 256, 0);
    const b = featureHashingVector('same text', 256, 1);
    expect(cosine(a, b)).toBeLessThan(0.5);
  });
});
