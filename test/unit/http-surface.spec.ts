import type { NextFunction, Request, Response } from 'express';
import { ApiKeys, presentedKey } from '../../src/common/auth/api-keys';
import { authenticateBeforeBody } from '../../src/common/auth/authenticate-before-body';
import { etagOf, parseIfMatch, satisfies } from '../../src/common/conditional-request';
import { isDomainError } from '../../src/common/errors';
import { unsafeTextProblems } from '../../src/common/text-safety';
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
    expect(hnswIndexSql({ id: 2, dimensions: 3072 })).toMatch(
      /CONCURRENTLY IF NOT EXISTS embeddings_hnsw_2[\s\S]*halfvec\(3072\)\) halfvec_cosine_ops\) WHERE model_id = 2/,
    );
    expect(() => hnswIndexSql({ id: -1, dimensions: 10 })).toThrow(/SQL-safe/);
  });
});

describe('authentication before the body', () => {
  const keys = new ApiKeys(['user-1'], ['admin-1']);
  const middleware = authenticateBeforeBody(keys);
  const run = (path: string, headers: Record<string, string> = {}, method = 'GET') => {
    let status: number | undefined;
    const response = {
      setHeader: () => response,
      status: (code: number) => {
        status = code;
        return response;
      },
      json: () => response,
    } as unknown as Response;
    let passed = false;
    middleware({ path, headers, method } as Request, response, (() => (passed = true)) as NextFunction);
    return passed ? 'next' : status;
  };

  it('lets open routes through and refuses the rest without a valid key', () => {
    for (const path of [
      '/health',
      '/metrics',
      '/docs',
      '/docs/',
      '/docs-json',
      '/console',
      '/console/pages/queue.js',
      '/dashboard',
      '/dashboard/app.js',
    ])
      expect(run(path)).toBe('next');
    for (const path of ['/api/v1/qa-pairs', '/healthz', '/docs-jsonx', '/anything', '/']) expect(run(path)).toBe(401);
    expect(run('/api/v1/qa-pairs', { 'x-api-key': 'user-1' })).toBe('next');
    expect(run('/api/v1/qa-pairs', { 'x-api-key': 'nope' })).toBe(401);
  });

  it('opens the open routes to reading only: any other method could carry a body parsed for anyone', () => {
    expect(run('/health', {}, 'HEAD')).toBe('next');
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(run('/health', {}, method)).toBe(401);
    expect(run('/console/app.js', {}, 'POST')).toBe(401);
    expect(run('/dashboard', { 'x-api-key': 'user-1' }, 'POST')).toBe('next');
  });

  it('asks an admin key for Bull Board, whatever the case of its path', () => {
    expect(run('/admin/queues/api/queues', { 'x-api-key': 'user-1' })).toBe(401);
    expect(run('/ADMIN/Queues/api/queues', { 'x-api-key': 'user-1' })).toBe(401);
    expect(run('/admin/queues/api/queues', { 'x-api-key': 'admin-1' })).toBe('next');
  });
});

describe('If-Match', () => {
  it('parses *, one or several strong version tags', () => {
    expect(parseIfMatch(undefined)).toEqual({ kind: 'none' });
    expect(parseIfMatch('*')).toEqual({ kind: 'exists' });
    expect(parseIfMatch('"3"')).toEqual({ kind: 'versions', versions: [3] });
    expect(parseIfMatch(' "3" , "7"')).toEqual({ kind: 'versions', versions: [3, 7] });
    expect(etagOf(12)).toBe('"12"');
    expect(satisfies(parseIfMatch('"3", "7"'), 7)).toBe(true);
    expect(satisfies(parseIfMatch('"3"'), 4)).toBe(false);
    expect(satisfies(parseIfMatch('*'), 4)).toBe(true);
  });

  it('refuses anything else with a 400 naming the header', () => {
    for (const value of ['', '3', 'W/"3"', '"abc"', '"3" "4"', '"3",', '*, "3"', '"1234567890"']) {
      let error: unknown;
      try {
        parseIfMatch(value);
      } catch (caught) {
        error = caught;
      }
      expect(isDomainError(error, 'invalid_input') && error.details?.[0].field).toBe('If-Match');
    }
  });
});

describe('text safety', () => {
  it('names every field holding NUL or a lone surrogate, and accepts well-formed text', () => {
    expect(unsafeTextProblems({ a: 'ok 😀', b: ['fine', { c: 'ç' }] })).toEqual([]);
    expect(unsafeTextProblems({ items: [{ question: 'ok' }, { answer: 'x\ud800' }], q: 'a\u0000' }, '')).toEqual([
      { field: 'items.1.answer', problem: expect.stringMatching(/lone UTF-16 surrogates/) },
      { field: 'q', problem: 'must not contain NUL characters' },
    ]);
    expect(unsafeTextProblems('\udfff', 'id')).toEqual([{ field: 'id', problem: expect.stringMatching(/surrogate/) }]);
    expect(unsafeTextProblems('\udfff')).toEqual([{ field: 'body', problem: expect.stringMatching(/surrogate/) }]);
    expect(unsafeTextProblems('\ud83d\ude00')).toEqual([]);
  });
});
