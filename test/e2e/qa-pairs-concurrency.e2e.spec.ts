import { useTestApp } from '../support/test-context';

describe('QA pair updates under concurrency, and conditional updates', () => {
  const t = useTestApp({ env: { ROLE: 'api' } });

  const create = async () => {
    const created = await t.app.request('POST', '/api/v1/qa-pairs', {
      body: { question: 'Original question?', answer: 'Original answer.', category: 'c0' },
    });
    expect(created.status).toBe(201);
    return created;
  };

  it('keeps both edits of two concurrent PATCHes on different fields, 50 rounds out of 50', async () => {
    const { body: pair } = await create();
    const lost: string[] = [];
    for (let round = 1; round <= 50; round++) {
      const question = `Question of round ${round}?`;
      const category = `category-${round}`;
      const [a, b] = await Promise.all([
        t.app.request('PATCH', `/api/v1/qa-pairs/${pair.id}`, { body: { question } }),
        t.app.request('PATCH', `/api/v1/qa-pairs/${pair.id}`, { body: { category } }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const [row] = await t.db.query(`SELECT question, category, content_hash FROM qa_pairs WHERE id = $1`, [pair.id]);
      if (row.question !== question || row.category !== category) lost.push(`round ${round}: ${JSON.stringify(row)}`);
    }
    expect(lost).toEqual([]);
  });

  it('answers an ETag that changes with every change, category included', async () => {
    const created = await create();
    const etag = created.headers.get('etag');
    expect(etag).toMatch(/^"\d+"$/);
    expect(created.body.version).toBe(Number(JSON.parse(etag!)));

    const read = await t.app.request('GET', `/api/v1/qa-pairs/${created.body.id}`);
    expect(read.headers.get('etag')).toBe(etag);

    const recategorised = await t.app.request('PATCH', `/api/v1/qa-pairs/${created.body.id}`, { body: { category: 'other' } });
    expect(recategorised.status).toBe(200);
    expect(recategorised.headers.get('etag')).not.toBe(etag);
    expect(recategorised.body.version).toBe(created.body.version + 1);

    const same = await t.app.request('PATCH', `/api/v1/qa-pairs/${created.body.id}`, { body: { category: 'other' } });
    expect(same.headers.get('etag')).toBe(recategorised.headers.get('etag'));
  });

  it('applies a PATCH or DELETE with If-Match only when the version still matches (412 otherwise)', async () => {
    const { body: pair, headers } = await create();
    const etag = headers.get('etag')!;
    const url = `/api/v1/qa-pairs/${pair.id}`;

    const first = await t.app.request('PATCH', url, { body: { answer: 'First writer.' }, headers: { 'if-match': etag } });
    expect(first.status).toBe(200);
    const second = await t.app.request('PATCH', url, { body: { category: 'second' }, headers: { 'if-match': etag } });
    expect(second.status).toBe(412);
    expect(second.body.message).toMatch(/version/);
    expect(second.body.context).toMatchObject({ currentVersion: first.body.version });

    const [row] = await t.db.query(`SELECT answer, category FROM qa_pairs WHERE id = $1`, [pair.id]);
    expect(row).toEqual({ answer: 'First writer.', category: 'c0' });

    expect((await t.app.request('DELETE', url, { headers: { 'if-match': etag } })).status).toBe(412);
    expect(
      (await t.app.request('PATCH', url, { body: { category: 'x' }, headers: { 'if-match': `"1", ${first.headers.get('etag')}` } })).status,
    ).toBe(200);
    expect((await t.app.request('PATCH', url, { body: { category: 'y' }, headers: { 'if-match': '*' } })).status).toBe(200);
    const current = (await t.app.request('GET', url)).headers.get('etag')!;
    // This API gives strong tags only; a weak one is refused as malformed.
    expect((await t.app.request('PATCH', url, { body: { category: 'w' }, headers: { 'if-match': `W/${current}` } })).status).toBe(400);
    expect((await t.app.request('DELETE', url, { headers: { 'if-match': current } })).status).toBe(204);
    expect((await t.app.request('PATCH', url, { body: { category: 'z' }, headers: { 'if-match': current } })).status).toBe(404);
  });

  it('lets exactly one of two racing conditional PATCHes win', async () => {
    const { body: pair, headers } = await create();
    const etag = headers.get('etag')!;
    const results = await Promise.all(
      ['a', 'b'].map((who) =>
        t.app.request('PATCH', `/api/v1/qa-pairs/${pair.id}`, { body: { question: `Writer ${who}?` }, headers: { 'if-match': etag } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
  });

  it('refuses a malformed If-Match with a 400 naming the header', async () => {
    const { body: pair } = await create();
    for (const value of ['1', '"abc"', '"1" "2"', '"-1"', '']) {
      const response = await t.app.request('PATCH', `/api/v1/qa-pairs/${pair.id}`, { body: { category: 'x' }, headers: { 'if-match': value } });
      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('If-Match');
    }
  });
});
