import { createTestEnvironment, destroyTestEnvironment, TestApp, type TestEnvironment, waitFor } from '../support/test-app';

describe('QA pairs on the offline provider (no OpenAI key)', () => {
  let environment: TestEnvironment;
  let app: TestApp;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    app = await TestApp.start(environment);
  });

  afterAll(async () => {
    await app?.close();
    if (environment) await destroyTestEnvironment(environment);
  });

  it('serves health without a key and refuses the API without one', async () => {
    const health = await app.request('GET', '/health', { key: null });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', postgres: { ok: true }, redis: { ok: true } });
    const denied = await app.request('GET', '/api/v1/qa-pairs', { key: null });
    expect(denied.status).toBe(401);
    expect(denied.body.message).toMatch(/API key/);
  });

  it('embeds a created pair in the background and finds it first by its own question', async () => {
    const created = await app.request('POST', '/api/v1/qa-pairs', {
      body: { question: 'How do I rotate my API keys?', answer: 'Generate a new key, deploy it, then revoke the old one.', category: 'security' },
    });
    expect(created.status).toBe(201);
    expect(created.body.embedding).toMatchObject({ model: 'offline-hashing-v1', state: 'pending' });
    await app.request('POST', '/api/v1/qa-pairs', { body: { question: 'Which regions host the database?', answer: 'Frankfurt and Virginia.' } });

    const embedded = await waitFor(async () => {
      const pair = await app.request('GET', `/api/v1/qa-pairs/${created.body.id}`);
      return pair.body.embedding.state === 'embedded' ? pair.body : null;
    });
    expect(embedded.embedding.embeddedAt).toBeTruthy();

    const search = await app.request('POST', '/api/v1/search', { body: { query: 'How do I rotate my API keys?', limit: 5 } });
    expect(search.status).toBe(200);
    expect(search.body.model).toBe('offline-hashing-v1');
    expect(search.body.results[0].id).toBe(created.body.id);
    expect(search.body.results[0].similarity).toBeGreaterThan(0.5);
  });
});
