import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { connect } from 'node:net';
import { EMBEDDINGS_QUEUE } from '../../src/queue/embedding-job';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis';
import { ADMIN_KEY, USER_KEY } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

/**
 * Sends the head of a request announcing a large body, and only a few bytes of it; resolves
 * with the status line of the answer (or rejects if none comes while the body is still owed).
 */
function statusBeforeBody(baseUrl: string, method: string, path: string, headers: Record<string, string> = {}): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 10 s while the body was still owed; got ${JSON.stringify(received)}`));
    }, 10_000);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const line = received.split('\r\n')[0];
      if (received.includes('\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(line);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    const head = [
      `${method} ${path} HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      'Content-Type: application/json',
      `Content-Length: ${16 * 1024 * 1024}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n');
    socket.write(`${head}{"question": "`);
  });
}

describe('HTTP edge: authentication before bodies, health, text encoding, Bull Board', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const t = useTestApp({ env: () => ({ REDIS_URL: redis.url, ROLE: 'api' }) });

  describe('a request without a valid key is refused before its body is read', () => {
    it.each([
      ['POST', '/api/v1/qa-pairs', {}],
      ['POST', '/api/v1/qa-pairs/bulk', { 'x-api-key': 'not-a-key' }],
      ['PATCH', '/api/v1/qa-pairs/00000000-0000-4000-8000-000000000000', {}],
      ['POST', '/api/v1/search', { authorization: 'Bearer wrong' }],
      ['POST', '/api/v1/no-such-route', {}],
      ['POST', '/admin/queues/api/queues/embeddings/add', {}],
      ['POST', '/admin/queues/api/queues/embeddings/add', { 'x-api-key': USER_KEY }],
      // The open paths are open to reading only: a body sent there is a body parsed for anyone.
      ['POST', '/health', {}],
      ['PUT', '/docs/anything', {}],
      ['POST', '/metrics', {}],
      ['PATCH', '/dashboard/index.html', {}],
    ])('%s %s %j → 401 without the body', async (method, path, headers) => {
      expect(await statusBeforeBody(t.app.baseUrl, method, path, headers)).toMatch(/^HTTP\/1\.1 401 /);
    });

    it('still reads the body of a request with a valid key (and refuses it when too large)', async () => {
      const small = await t.app.request('POST', '/api/v1/qa-pairs', { body: { question: 'q' } });
      expect(small.status).toBe(400);
      expect(small.body.message).toMatch(/answer/);
    });

    it('leaves health and docs open, and still answers 401 to a bodiless request', async () => {
      expect((await t.app.request('GET', '/health', { key: null })).status).toBe(200);
      expect((await t.app.request('GET', '/docs-json', { key: null })).status).toBe(200);
      expect((await t.app.request('GET', '/api/v1/qa-pairs', { key: null })).status).toBe(401);
    });
  });

  describe('text with lone UTF-16 surrogates is refused with a 400 naming the field', () => {
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/api/v1/qa-pairs', { question: 'bad \ud800 text', answer: 'a' }, /^question: .*surrogate/],
      ['POST', '/api/v1/qa-pairs', { question: 'q', answer: 'trailing \udc00' }, /^answer: .*surrogate/],
      [
        'POST',
        '/api/v1/qa-pairs/bulk',
        {
          items: [
            { question: 'q', answer: 'a' },
            { question: 'q', answer: 'a', category: '\udfff' },
          ],
        },
        /items\.1\.category: .*surrogate/,
      ],
      ['POST', '/api/v1/search', { query: 'find \ud83d this' }, /^query: .*surrogate/],
      ['POST', '/api/v1/search', { query: 'nul \u0000 byte' }, /^query: must not contain NUL/],
    ];
    it.each(cases)('%s %s %j', async (method, path, body, message) => {
      const response = await t.app.request(method, path, { body });
      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(message);
      expect(response.body.details[0].field).toBeTruthy();
    });

    it('applies to PATCH and accepts well-formed astral characters', async () => {
      const created = await t.app.request('POST', '/api/v1/qa-pairs', { body: { question: 'emoji 😀 question', answer: 'answer 🎉' } });
      expect(created.status).toBe(201);
      expect(created.body.question).toBe('emoji 😀 question');
      const patched = await t.app.request('PATCH', `/api/v1/qa-pairs/${created.body.id}`, { body: { category: 'x\ud800' } });
      expect(patched.status).toBe(400);
      expect(patched.body.message).toMatch(/^category: .*surrogate/);
      expect(await countRows(t.db, `SELECT count(*) FROM qa_pairs WHERE question LIKE 'bad%' OR category LIKE 'x%'`)).toBe(0);
    });
  });

  describe("Bull Board's mutating API needs an admin key", () => {
    const jobId = 'board-guard-probe';
    const queue = () => t.app.get<Queue>(getQueueToken(EMBEDDINGS_QUEUE));

    beforeAll(async () => {
      await queue().add('probe', { probe: true }, { jobId, delay: 3_600_000 });
    });

    const mutations: Array<[string, string]> = [
      ['PUT', 'api/queues/pause'],
      ['PUT', `api/queues/${EMBEDDINGS_QUEUE}/pause`],
      ['PUT', `api/queues/${EMBEDDINGS_QUEUE}/retry/failed`],
      ['PUT', `api/queues/${EMBEDDINGS_QUEUE}/clean/delayed`],
      ['PUT', `api/queues/${EMBEDDINGS_QUEUE}/promote`],
      ['PUT', `api/queues/${EMBEDDINGS_QUEUE}/empty`],
      ['PUT', `api/queues/${EMBEDDINGS_QUEUE}/obliterate`],
      ['PUT', `api/queues/${EMBEDDINGS_QUEUE}/${jobId}/promote`],
      ['PUT', `api/queues/${EMBEDDINGS_QUEUE}/${jobId}/clean`],
      ['POST', `api/queues/${EMBEDDINGS_QUEUE}/add`],
    ];
    const prefixes = ['/admin/queues/', '/Admin/Queues/', '/admin//queues/', '/admin/queues/./'];

    it.each([
      ['no key', null],
      ['a user key', USER_KEY],
      ['a wrong key', 'nope'],
    ])('refuses every mutation with %s and changes nothing', async (_label, key) => {
      for (const prefix of prefixes) {
        for (const [method, path] of mutations) {
          const body = method === 'POST' ? { name: 'x', data: {} } : undefined;
          const response = await t.app.request(method, prefix + path, { key, body });
          expect([401, 403, 404]).toContain(response.status);
          if (response.status === 404) expect(prefix).not.toBe('/admin/queues/');
        }
      }
      const job = await queue().getJob(jobId);
      expect(job).toBeTruthy();
      expect(await job!.getState()).toBe('delayed');
      expect(await queue().isPaused()).toBe(false);
      expect(await queue().count()).toBeGreaterThan(0);
    });

    it('lets an admin key through (the probe job can be promoted)', async () => {
      const response = await t.app.request('PUT', `/admin/queues/api/queues/${EMBEDDINGS_QUEUE}/${jobId}/promote`, { key: ADMIN_KEY });
      expect(response.status).toBe(204);
      expect(await (await queue().getJob(jobId))!.getState()).not.toBe('delayed');
    });
  });

  describe('health', () => {
    it('tells anyone up or down per dependency, and the reasons only to a key holder', async () => {
      const up = await t.app.request('GET', '/health', { key: null });
      expect(up.status).toBe(200);
      expect(up.body).toEqual({ status: 'ok', postgres: { ok: true }, redis: { ok: true } });

      await redis.kill();
      try {
        const anonymous = await t.app.request('GET', '/health', { key: null });
        expect(anonymous.status).toBe(503);
        expect(anonymous.body).toEqual({ status: 'unavailable', postgres: { ok: true }, redis: { ok: false } });
        expect(JSON.stringify(anonymous.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|closed|answer/);

        const keyed = await t.app.request('GET', '/health', { key: USER_KEY });
        expect(keyed.status).toBe(503);
        expect(keyed.body.redis).toEqual({ ok: false, latencyMs: expect.any(Number), error: expect.any(String) });
        expect(keyed.body.postgres).toEqual({ ok: true, latencyMs: expect.any(Number) });
        const wrongKey = await t.app.request('GET', '/health', { key: 'nope' });
        expect(wrongKey.body.redis).toEqual({ ok: false });
      } finally {
        await redis.start();
      }
    });
  });
});
