import { waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

describe('QA pairs on the offline provider (no OpenAI key)', () => {
  const t = useTestApp({ provider: 'offline' });

  it('serves health without a key and refuses the API without one', async () => {
    const health = await t.app.request('GET', '/health', { key: null });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', postgres: { ok: true }, redis: { ok: true } });
    const denied = await t.app.request('GET', '/api/v1/qa-pairs', { key: null });
    expect(denied.status).toBe(401);
    expect(denied.body.message).toMatch(/API key/);
  });

  it('embeds a created pair in the background and finds it first by its own question', async () => {
    const created = await t.app.request('POST', '/api/v1/qa-pairs', {
      body: { question: 'How do I rotate my API keys?', answer: 'Generate a new key, deploy it, then revoke the old one.', category: 'security' },
    });
    expect(created.status).toBe(201);
    expect(created.body.embedding).toMatchObject({ model: 'offline-hashing-v1', state: 'pending' });
    await t.app.request('POST', '/api/v1/qa-pairs', { body: { question: 'Which regions host the database?', answer: 'Frankfurt and Virginia.' } });

    const embedded = await waitFor(async () => {
      const pair = await t.app.request('GET', `/api/v1/qa-pairs/${created.body.id}`);
      return pair.body.embedding.state === 'embedded' ? pair.body : null;
    });
    expect(embedded.embedding.embeddedAt).toBeTruthy();

    const search = await t.app.request('POST', '/api/v1/search', { body: { query: 'How do I rotate my API keys?', limit: 5 } });
    expect(search.status).toBe(200);
    expect(search.body.model).toBe('offline-hashing-v1');
    expect(search.body.results[0].id).toBe(created.body.id);
    expect(search.body.results[0].similarity).toBeGreaterThan(0.5);
  });
});
