import { ApiKeys, presentedKey } from '../../src/common/auth/api-keys';
import { depthExceeds } from '../../src/common/json-body';
import { flattenValidationErrors } from '../../src/common/validation.pipe';
import { hnswIndexSql, vectorCast } from '../../src/embeddings/vector-sql';

describe('ApiKeys', () => {
  const keys = new ApiKeys(['user-1', 'shared'], ['admin-1', 'shared']);

  it('knows user and admin keys, admin winning for a key in both lists', () => {
    expect(keys.roleOf('user-1')).toBe('user');
    expect(keys.roleOf('admin-1')).toBe('admin');
    expect(keys.roleOf('shared')).toBe('admin');
    expect(keys.roleOf('nope')).toBeUndefined();
    expect(keys.roleOf(undefined)).toBeUndefined();
  });

  it('reads x-api-key or a Bearer token', () => {
    expect(presentedKey({ headers: { 'x-api-key': 'k1' } })).toBe('k1');
    expect(presentedKey({ headers: { authorization: 'Bearer k2' } })).toBe('k2');
    expect(presentedKey({ headers: { authorization: 'Basic abc' } })).toBeUndefined();
  });
});

describe('request checks', () => {
  it('measures JSON depth without recursion', () => {
    expect(depthExceeds({ a: [1, { b: 2 }] }, 3)).toBe(false);
    expect(depthExceeds({ a: [1, { b: { c: 1 } }] }, 3)).toBe(true);
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000));
    expect(depthExceeds(deep, 32)).toBe(true);
  });

  it('flattens nested validation errors into field paths', () => {
    const problems = flattenValidationErrors([
      { property: 'items', children: [{ property: '3', children: [{ property: 'answer', constraints: { isString: 'answer must be a string' } }] }] },
    ]);
    expect(problems).toEqual([{ field: 'items.3.answer', problem: 'must be a string' }]);
  });
});

describe('per-model vector SQL', () => {
  it('indexes up to 2000 dimensions as vector and above as halfvec', () => {
    expect(vectorCast({ id: 1, dimensions: 1536 })).toBe('vector(1536)');
    expect(vectorCast({ id: 2, dimensions: 3072 })).toBe('halfvec(3072)');
    expect(hnswIndexSql({ id: 2, dimensions: 3072 })).toMatch(/CONCURRENTLY IF NOT EXISTS embeddings_hnsw_2[\s\S]*halfvec\(3072\)\) halfvec_cosine_ops\) WHERE model_id = 2/);
    expect(() => hnswIndexSql({ id: -1, dimensions: 10 })).toThrow(/SQL-safe/);
  });
});
