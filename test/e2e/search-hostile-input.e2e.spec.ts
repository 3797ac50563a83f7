import { waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

/** Queries a hostile or careless client sends: every one is answered (200) or refused with a 400 naming the field, never a 500. */
describe('search with hostile queries', () => {
  const t = useTestApp();
  const search = (body: Record<string, unknown>) => t.app.request('POST', '/api/v1/search', { body });

  beforeAll(async () => {
    const items = [
      { question: 'How do I reset my password?', answer: 'Use the forgotten password link.', category: 'account' },
      { question: "What's O'Reilly's C:\\path\\to\\file?", answer: 'A path with back\\slashes and "quotes".', category: "odd 'cat' %_\\" },
    ];
    expect((await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } })).status).toBe(201);
    await waitFor(async () => (await countRows(t.db, `SELECT count(*) FROM embeddings`)) === items.length);
  });

  const queries = [
    '"',
    '""',
    '-',
    '- - -',
    'OR',
    'or or OR',
    '"unterminated phrase',
    '-password',
    'password -reset OR "forgotten link"',
    '!!! ??? ...',
    "O'Reilly's C:\\path\\to\\file",
    'the and of a',
    ':* & | ! <-> ( )',
    '\u200b',
    'x'.repeat(8000),
    'word '.repeat(1600),
    '🙂'.repeat(2000),
  ];

  it.each(['lexical', 'hybrid', 'vector'])('answers every hostile query in %s mode with a 200 or a 400 naming the query', async (mode) => {
    for (const query of queries) {
      const answer = await search({ query, mode });
      if (answer.status === 400)
        expect({ query, details: answer.body.details }).toMatchObject({ query, details: [expect.objectContaining({ field: 'query' })] });
      else expect({ query: query.slice(0, 40), status: answer.status }).toEqual({ query: query.slice(0, 40), status: 200 });
    }
  });

  it('filters by a category with quotes, LIKE wildcards and backslashes literally', async () => {
    for (const mode of ['lexical', 'hybrid', 'vector']) {
      const odd = await search({ query: 'path file', mode, category: "odd 'cat' %_\\" });
      expect(odd.status).toBe(200);
      expect(odd.body.results.map((hit: { category: string }) => hit.category)).toEqual(["odd 'cat' %_\\"]);
      const wildcard = await search({ query: 'path file', mode, category: '%' });
      expect({ mode, results: wildcard.body.results }).toEqual({ mode, results: [] });
    }
  });

  it('refuses a blank query, an 8001-character query and a bad limit with 400s naming the field', async () => {
    for (const [body, field] of [
      [{ query: '   ' }, 'query'],
      [{ query: 'x'.repeat(8001) }, 'query'],
      [{ query: 'ok', limit: 0 }, 'limit'],
      [{ query: 'ok', limit: '5; DROP TABLE qa_pairs' }, 'limit'],
      [{ query: 'ok', category: '' }, 'category'],
      [{ query: ['a', 'b'] }, 'query'],
    ] as const) {
      const answer = await search(body);
      expect({ body, status: answer.status, fields: answer.body.details?.map((d: { field: string }) => d.field) }).toEqual({
        body,
        status: 400,
        fields: expect.arrayContaining([field]),
      });
    }
  });
});
