import { ADMIN_KEY, waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('comparison tools: bad input gets a 4xx that names the problem', () => {
  let pairId: string;

  const t = useTestApp();

  beforeAll(async () => {
    pairId = (await t.app.request('POST', '/api/v1/qa-pairs', { body: { question: 'Where is my order?', answer: 'See Orders → Tracking.' } })).body
      .id;
    await waitFor(async () => (await t.app.request('GET', `/api/v1/qa-pairs/${pairId}`)).body.embedding.state === 'embedded');
  });

  async function expectError(method: string, path: string, body: unknown, status: number, message: RegExp, key?: string) {
    const response = await t.app.request(method, path, { body, key });
    expect({ path, status: response.status, message: response.body.message }).toEqual({ path, status, message: expect.stringMatching(message) });
    expect(response.body.requestId).toBeTruthy();
  }

  it('answers the similarity of two vectors, and refuses mismatched, empty or non-numeric ones', async () => {
    const ok = await t.app.request('POST', '/api/v1/compare/similarity', { body: { vec1: [1, 2, 3], vec2: [2, 4, 6] } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ similarity: expect.closeTo(1, 12), dimensions: 3 });
    const zero = await t.app.request('POST', '/api/v1/compare/similarity', { body: { vec1: [0, 0], vec2: [1, 1] } });
    expect(zero.body.similarity).toBe(0);

    const similarity = (body: unknown, message: RegExp) => expectError('POST', '/api/v1/compare/similarity', body, 400, message);
    await similarity({ vec1: [1, 2, 3], vec2: [1, 2] }, /^vec2: has 2 components but vec1 has 3; the dimensions must match$/);
    await similarity({ vec1: [], vec2: [] }, /vec1: .*at least 1/);
    await similarity({ vec1: [1, 'a'], vec2: [1, 2] }, /vec1: .*number/);
    await similarity({ vec1: [1, 2] }, /vec2/);
    await similarity({ vec1: [1], vec2: [1], extra: true }, /extra/);
  });

  it('refuses unknown pairs (404), pairs without a current embedding (409) and malformed ids (400)', async () => {
    await expectError('GET', `/api/v1/compare/pairs?idA=${pairId}&idB=${UNKNOWN_ID}`, undefined, 404, new RegExp(`QA pair ${UNKNOWN_ID} not found`));
    await expectError('POST', '/api/v1/compare/pairs', { idA: 'nope', idB: pairId }, 400, /^idA: must be a UUID$/);
    await expectError('GET', `/api/v1/compare/pairs?idA=${pairId}`, undefined, 400, /idB/);
    await expectError(
      'POST',
      '/api/v1/compare/pairs',
      { idA: pairId, idB: pairId, model: 'no-such-model' },
      404,
      /embedding model no-such-model not found/,
    );
    // ada-002 is not kept current here: the pair has no embedding under it.
    const response = await t.app.request('POST', '/api/v1/compare/pairs', { body: { idA: pairId, idB: pairId, model: 'text-embedding-ada-002' } });
    expect(response.status).toBe(409);
    expect(response.body.message).toBe(`QA pair ${pairId} has no current embedding under text-embedding-ada-002 (pending)`);
    expect(response.body.context).toEqual({ model: 'text-embedding-ada-002', pairs: [{ qaPairId: pairId, state: 'pending' }] });
  });

  it('refuses bad near-duplicate parameters', async () => {
    const find = (body: unknown, message: RegExp) => expectError('POST', '/api/v1/compare/near-duplicates', body, 400, message);
    await find({ threshold: 0.5 }, /^threshold: must not be less than 0.8$/);
    await find({ threshold: 1.5 }, /^threshold: must not be greater than 1$/);
    await find({ threshold: '0.9' }, /threshold: must be a number/);
    await find({ limit: 0 }, /^limit: must not be less than 1$/);
    await find({ limit: 2.5 }, /^limit: must be an integer/);
    await find({ cluster: 'yes' }, /^cluster: must be a boolean/);
    await find({ category: '' }, /^category: should not be empty$/);
    await expectError(
      'POST',
      '/api/v1/compare/near-duplicates/scans',
      { limit: 2_000_000 },
      400,
      /^limit: must not be greater than 1000000$/,
      ADMIN_KEY,
    );
    await expectError('POST', '/api/v1/compare/near-duplicates', { model: 'no-such-model' }, 404, /embedding model no-such-model not found/);
    await expectError('GET', '/api/v1/compare/near-duplicates/detected?minSimilarity=high', undefined, 400, /minSimilarity: must be a number/);
    await expectError('GET', '/api/v1/compare/near-duplicates/detected?qaPairId=x', undefined, 400, /^qaPairId: must be a UUID$/);
    await expectError('GET', `/api/v1/compare/near-duplicates/scans/${UNKNOWN_ID}`, undefined, 404, /near-duplicate scan .* not found/);
    await expectError('GET', '/api/v1/compare/near-duplicates/scans/x/pairs', undefined, 400, /^id: must be a UUID$/);
    await expectError('POST', `/api/v1/compare/near-duplicates/scans/${UNKNOWN_ID}/retry`, undefined, 404, /not found/, ADMIN_KEY);
  });

  it('keeps background near-duplicate scans to admins', async () => {
    // A scan reads every vector of a model: a plain key may not start or rerun one.
    await expectError('POST', '/api/v1/compare/near-duplicates/scans', {}, 403, /admin/i);
    await expectError('POST', `/api/v1/compare/near-duplicates/scans/${UNKNOWN_ID}/retry`, undefined, 403, /admin/i);
    expect((await t.app.request('GET', '/api/v1/compare/near-duplicates/scans')).body.total).toBe(0);
    const started = await t.app.request('POST', '/api/v1/compare/near-duplicates/scans', { key: ADMIN_KEY, body: {} });
    expect(started.status).toBe(202);
    await waitFor(async () => (await t.app.request('GET', `/api/v1/compare/near-duplicates/scans/${started.body.id}`)).body.status === 'completed');
  });

  it('keeps drift checks to admins and refuses bad drift parameters', async () => {
    await expectError('POST', '/api/v1/compare/drift', {}, 403, /admin/i);
    const drift = (body: unknown, message: RegExp) => expectError('POST', '/api/v1/compare/drift', body, 400, message, ADMIN_KEY);
    await drift({ sampleSize: 0 }, /^sampleSize: must not be less than 1$/);
    await drift({ sampleSize: 10_000 }, /^sampleSize: must not be greater than 5000$/);
    await drift({ tolerance: 2 }, /^tolerance: must not be greater than 1$/);
    await expectError('POST', '/api/v1/compare/drift', { model: 'no-such-model' }, 404, /embedding model no-such-model not found/, ADMIN_KEY);
    await expectError('GET', `/api/v1/compare/drift/${UNKNOWN_ID}`, undefined, 404, /drift check .* not found/);
    await expectError('POST', `/api/v1/compare/drift/${UNKNOWN_ID}/retry`, undefined, 403, /admin/i);

    const started = await t.app.request('POST', '/api/v1/compare/drift', { key: ADMIN_KEY, body: { sampleSize: 1 } });
    expect(started.status).toBe(202);
    await waitFor(async () => (await t.app.request('GET', `/api/v1/compare/drift/${started.body.id}`)).body.status === 'completed');
    await expectError(
      'POST',
      `/api/v1/compare/drift/${started.body.id}/retry`,
      undefined,
      409,
      /the run is completed; only a failed or interrupted run can be retried/,
      ADMIN_KEY,
    );
  });

  it('documents every comparison endpoint in the OpenAPI document', async () => {
    const json = await t.app.request('GET', '/docs-json', { key: null });
    expect(Object.keys(json.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/compare/similarity',
        '/api/v1/compare/pairs',
        '/api/v1/compare/near-duplicates',
        '/api/v1/compare/near-duplicates/scans',
        '/api/v1/compare/near-duplicates/scans/{id}',
        '/api/v1/compare/near-duplicates/scans/{id}/pairs',
        '/api/v1/compare/near-duplicates/scans/{id}/clusters',
        '/api/v1/compare/near-duplicates/scans/{id}/retry',
        '/api/v1/compare/near-duplicates/detected',
        '/api/v1/compare/drift',
        '/api/v1/compare/drift/{id}',
        '/api/v1/compare/drift/{id}/retry',
      ]),
    );
    const find = json.body.paths['/api/v1/compare/near-duplicates'].post;
    expect(Object.keys(find.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '401', '404', '503']));
    expect(json.body.paths['/api/v1/compare/drift'].post.responses['403']).toBeDefined();
    expect(json.body.paths['/api/v1/compare/near-duplicates/scans'].post.responses['403']).toBeDefined();
    expect(json.body.paths['/api/v1/compare/near-duplicates'].post.responses['403']).toBeDefined();
  });
});
