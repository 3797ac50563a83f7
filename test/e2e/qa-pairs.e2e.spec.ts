import { waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

describe('QA pairs, embeddings and search through the OpenAI SDK and the fake provider', () => {
  const t = useTestApp();

  const embeddedState = async (id: string) => (await t.app.request('GET', `/api/v1/qa-pairs/${id}`)).body.embedding.state;
  const ledgerRows = (purpose?: string) =>
    countRows(t.db, `SELECT count(*) FROM usage_ledger ${purpose ? 'WHERE purpose = $1' : ''}`, purpose ? [purpose] : []);

  it('creates, embeds, searches, updates, lists and deletes', async () => {
    const created = await t.app.request('POST', '/api/v1/qa-pairs', {
      body: { question: 'How long are invoices kept?', answer: 'Invoices are kept for ten years.', category: 'billing' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await waitFor(async () => (await embeddedState(id)) === 'embedded');

    const [row] = await t.db.query(`SELECT vector_dims(embedding) AS dims, tokens FROM embeddings WHERE qa_pair_id = $1`, [id]);
    expect(row.dims).toBe(1536);
    expect(row.tokens).toBeGreaterThan(5);

    const search = await t.app.request('POST', '/api/v1/search', { body: { query: 'How long are invoices kept?' } });
    expect(search.body.model).toBe('text-embedding-3-small');
    expect(search.body.results[0]).toMatchObject({ id, category: 'billing', stale: false });
    expect(await ledgerRows('search')).toBe(1);

    const ingestRows = await ledgerRows('ingest');
    const unchanged = await t.app.request('PATCH', `/api/v1/qa-pairs/${id}`, {
      body: { question: 'How long are invoices kept?', category: 'finance' },
    });
    expect(unchanged.status).toBe(200);
    // A category change bumps the version (the ETag) but spends nothing: the content is unchanged.
    expect(unchanged.body).toMatchObject({ version: 2, category: 'finance', embedding: { state: 'embedded' } });

    const changed = await t.app.request('PATCH', `/api/v1/qa-pairs/${id}`, { body: { answer: 'Invoices are kept for twelve years.' } });
    expect(changed.body.version).toBe(3);
    expect(changed.body.embedding.state).toMatch(/stale|embedded/);
    await waitFor(async () => (await embeddedState(id)) === 'embedded');
    expect(await ledgerRows('ingest')).toBe(ingestRows);
    expect(await ledgerRows('update')).toBe(1);

    const list = await t.app.request('GET', '/api/v1/qa-pairs?category=finance&limit=10');
    expect(list.body).toMatchObject({ total: 1, limit: 10, offset: 0 });
    expect(list.body.items[0].id).toBe(id);

    expect((await t.app.request('DELETE', `/api/v1/qa-pairs/${id}`)).status).toBe(204);
    expect((await t.app.request('GET', `/api/v1/qa-pairs/${id}`)).status).toBe(404);
    expect(Number((await t.db.query(`SELECT count(*) AS n FROM embeddings WHERE qa_pair_id = $1`, [id]))[0].n)).toBe(0);
  });

  it('bulk-creates 1,000 pairs and embeds them in batched provider calls', async () => {
    const before = t.fake.stats().requests;
    const items = Array.from({ length: 1000 }, (_, i) => ({
      question: `Bulk question number ${i} about topic ${i % 37}?`,
      answer: `Bulk answer ${i}: see chapter ${i % 11}.`,
      category: `cat-${i % 5}`,
    }));
    const response = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ created: 1000, notYetQueued: 0 });
    const ids: string[] = response.body.items.map((item: { id: string }) => item.id);
    await waitFor(async () => {
      const [row] = await t.db.query(`SELECT count(*) AS n FROM embeddings WHERE qa_pair_id = ANY($1::uuid[])`, [ids]);
      return Number(row.n) === 1000;
    }, 60_000);
    const calls = t.fake.stats().requests - before;
    expect(calls).toBeLessThan(100);
    const [ledger] = await t.db.query(
      `SELECT count(*) AS rows, count(DISTINCT call_id) AS calls FROM usage_ledger WHERE qa_pair_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(Number(ledger.rows)).toBe(1000);
    expect(Number(ledger.calls)).toBeLessThanOrEqual(calls);
  });

  it('names the field in every validation error and never answers 500', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ question: '', answer: 'a' }, /question/],
      [{ question: 'q' }, /answer/],
      [{ question: 'q', answer: 'a', extra: 1 }, /extra/],
      [{ question: 'q', answer: 'a', category: 5 }, /category/],
      [{ question: 'q\u0000', answer: 'a' }, /question: must not contain NUL/],
      [{ question: '   ', answer: 'a' }, /question: must not be blank/],
    ];
    for (const [body, field] of cases) {
      const response = await t.app.request('POST', '/api/v1/qa-pairs', { body });
      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(field);
      expect(response.body.details?.length).toBeGreaterThan(0);
      expect(response.body.requestId).toBeTruthy();
    }
    const bulk = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items: [{ question: 'q', answer: 'a' }, { question: 'q' }] } });
    expect(bulk.status).toBe(400);
    expect(bulk.body.message).toMatch(/items\.1\.answer/);
    const tooLong = await t.app.request('POST', '/api/v1/qa-pairs', { body: { question: 'q', answer: 'a b '.repeat(9000) } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toMatch(/answer: .*tokens.*8191/);
    const malformed = await t.app.request('POST', '/api/v1/qa-pairs', { rawBody: '{"question": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/body: malformed JSON/);
    const badId = await t.app.request('GET', '/api/v1/qa-pairs/not-a-uuid');
    expect(badId.status).toBe(400);
    expect(badId.body.message).toBe('id: must be a UUID');
  });

  it('serves the OpenAPI document and Swagger UI without a key', async () => {
    const json = await t.app.request('GET', '/docs-json', { key: null });
    expect(json.status).toBe(200);
    expect(Object.keys(json.body.paths)).toEqual(expect.arrayContaining(['/api/v1/qa-pairs', '/api/v1/search', '/health']));
    const headerParams = (operation: { parameters?: Array<{ in: string; name: string }> }) =>
      (operation.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
    const byId = json.body.paths['/api/v1/qa-pairs/{id}'];
    for (const method of ['patch', 'delete']) {
      expect(headerParams(byId[method])).toContain('If-Match');
      expect(Object.keys(byId[method].responses)).toContain('412');
    }
    expect(byId.get.responses['200'].headers).toHaveProperty('ETag');
    for (const path of ['/api/v1/qa-pairs', '/api/v1/qa-pairs/bulk']) {
      expect(headerParams(json.body.paths[path].post)).toContain('Idempotency-Key');
      expect(Object.keys(json.body.paths[path].post.responses)).toContain('409');
    }
    const ui = await t.app.request('GET', '/docs', { key: null });
    expect(ui.status).toBe(200);
    expect(String(ui.body)).toContain('swagger');
  });
});
