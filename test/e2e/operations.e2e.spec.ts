import { ADMIN_KEY, USER_KEY, waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

/** The operator's surface: metrics, Bull Board behind admin auth, request ids, model registry. */
describe('operations', () => {
  const t = useTestApp({ provider: 'offline' });

  it('exports Prometheus metrics to key holders only', async () => {
    expect((await t.app.request('GET', '/metrics', { key: null })).status).toBe(401);
    await t.app.request('POST', '/api/v1/qa-pairs', { body: { question: 'Metrics?', answer: 'Yes.' } });
    await waitFor(async () => String((await t.app.request('GET', '/metrics')).body).includes('embsvc_embedding_jobs_total{outcome="embedded"} 1'));
    const metrics = String((await t.app.request('GET', '/metrics', { key: USER_KEY })).body);
    expect(metrics).toMatch(/embsvc_queue_jobs\{state="waiting"\} \d+/);
    expect(metrics).toMatch(/embsvc_provider_inputs_per_call_count \d+/);
    expect(metrics).toContain('embsvc_process_cpu_user_seconds_total');
  });

  it('guards Bull Board with an admin key, also as HTTP Basic auth for browsers', async () => {
    const anonymous = await t.app.request('GET', '/admin/queues', { key: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/Basic/);
    expect((await t.app.request('GET', '/admin/queues', { key: USER_KEY })).status).toBe(401);
    const admin = await t.app.request('GET', '/admin/queues', { key: ADMIN_KEY });
    expect(admin.status).toBe(200);
    expect(String(admin.body)).toContain('<html');
    const basic = Buffer.from(`admin:${ADMIN_KEY}`).toString('base64');
    const api = await t.app.request('GET', '/admin/queues/api/queues', { key: null, headers: { authorization: `Basic ${basic}` } });
    expect(api.status).toBe(200);
    expect(JSON.stringify(api.body)).toContain('embeddings');
  });

  it('echoes a sane request id and makes one up otherwise', async () => {
    const given = await t.app.request('GET', '/health', { key: null, headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    const error = await t.app.request('GET', '/api/v1/qa-pairs/00000000-0000-4000-8000-000000000000', {
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(error.status).toBe(404);
    expect(error.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.headers.get('x-request-id')).toBe(error.body.requestId);
  });

  it('lists the models with the active one and its exact price', async () => {
    const models = await t.app.request('GET', '/api/v1/models');
    expect(models.body.find((m: { active: boolean }) => m.active)).toMatchObject({ name: 'offline-hashing-v1', dimensions: 384 });
    expect(models.body.find((m: { name: string }) => m.name === 'text-embedding-3-small')).toMatchObject({ pricePerMillionTokens: '0.020000' });
    const registered = await t.app.request('POST', '/api/v1/models', {
      key: ADMIN_KEY,
      body: {
        name: 'text-embedding-3-large-1024',
        apiModel: 'text-embedding-3-large',
        dimensions: 1024,
        requestDimensions: true,
        pricePerMillionTokens: '0.13',
      },
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ name: 'text-embedding-3-large-1024', dimensions: 1024, active: false });
    const again = await t.app.request('POST', '/api/v1/models', {
      key: ADMIN_KEY,
      body: { name: 'text-embedding-3-large-1024', apiModel: 'x', dimensions: 10, pricePerMillionTokens: '1' },
    });
    expect(again.status).toBe(409);
    expect((await t.app.request('POST', '/api/v1/models', { key: USER_KEY, body: {} })).status).toBe(403);
  });
});
