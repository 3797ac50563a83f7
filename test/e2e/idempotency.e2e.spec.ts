import { Client } from 'pg';
import { request as httpRequest } from 'node:http';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { fakeProviderEnv } from '../support/fake-provider';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres';
import { ADMIN_KEY, createTestEnvironment, destroyTestEnvironment, openDatabase, TestApp, type TestEnvironment, USER_KEY } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

const pair = (i: number, tag = 'idem') => ({ question: `${tag} question ${i}?`, answer: `${tag} answer ${i}.`, category: tag });
const items = (n: number, tag: string) => Array.from({ length: n }, (_, i) => pair(i, tag));

/** Sends a request and drops the connection as soon as the body is out, as a client whose network failed would. */
function sendAndHangUp(baseUrl: string, path: string, body: unknown, headers: Record<string, string>): Promise<void> {
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const request = httpRequest(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), 'x-api-key': USER_KEY, ...headers },
    });
    request.on('error', () => resolve());
    request.end(payload, () => {
      request.destroy();
      resolve();
    });
  });
}

describe('Idempotency-Key on creates', () => {
  const t = useTestApp({ env: { ROLE: 'api' } });
  const rowsTagged = (tag: string) => countRows(t.db, `SELECT count(*) FROM qa_pairs WHERE category = $1`, [tag]);

  it('deletes expired keys lazily (the first idempotent create of the process sweeps them)', async () => {
    await t.db.query(
      `INSERT INTO idempotency_keys (client_hash, key, request_hash, status_code, response, created_at)
       VALUES ('someone', 'old-key', 'h', 201, '{}', now() - interval '2 days')`,
    );
    const created = await t.app.request('POST', '/api/v1/qa-pairs', { body: pair(0, 'sweep'), headers: { 'idempotency-key': 'sweep-1' } });
    expect(created.status).toBe(201);
    const deadline = Date.now() + 10_000;
    while ((await countRows(t.db, `SELECT count(*) FROM idempotency_keys WHERE key = 'old-key'`)) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await countRows(t.db, `SELECT count(*) FROM idempotency_keys WHERE key = 'old-key'`)).toBe(0);
  });

  it('answers a retry with the same key and body with the first result, and creates nothing more', async () => {
    const headers = { 'idempotency-key': 'create-once-1' };
    const first = await t.app.request('POST', '/api/v1/qa-pairs', { body: pair(1, 'once'), headers });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await t.app.request('POST', '/api/v1/qa-pairs', { body: pair(1, 'once'), headers });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(await rowsTagged('once')).toBe(1);

    const bulkHeaders = { 'idempotency-key': 'bulk-once-1' };
    const bulk = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items: items(50, 'bulk-once') }, headers: bulkHeaders });
    expect(bulk.status).toBe(201);
    const bulkAgain = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items: items(50, 'bulk-once') }, headers: bulkHeaders });
    expect(bulkAgain.status).toBe(201);
    expect(bulkAgain.body).toEqual(bulk.body);
    expect(await rowsTagged('bulk-once')).toBe(50);
  });

  it('answers 409 for the same key with another body or on another route, and 400 for a malformed key', async () => {
    const headers = { 'idempotency-key': 'reused-key' };
    expect((await t.app.request('POST', '/api/v1/qa-pairs', { body: pair(1, 'reuse'), headers })).status).toBe(201);
    const other = await t.app.request('POST', '/api/v1/qa-pairs', { body: pair(2, 'reuse'), headers });
    expect(other.status).toBe(409);
    expect(other.body.message).toMatch(/Idempotency-Key reused-key was already used for a different request/);
    const otherRoute = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items: [pair(1, 'reuse')] }, headers });
    expect(otherRoute.status).toBe(409);
    expect(await rowsTagged('reuse')).toBe(1);

    for (const key of ['', 'has space', 'x'.repeat(256), 'naïve']) {
      const bad = await t.app.request('POST', '/api/v1/qa-pairs', { body: pair(3, 'reuse'), headers: { 'idempotency-key': key } });
      expect(bad.status).toBe(400);
      expect(bad.body.details[0].field).toBe('Idempotency-Key');
    }
    expect(await rowsTagged('reuse')).toBe(1);
  });

  it('scopes keys per API key and never stores the API key itself', async () => {
    const headers = { 'idempotency-key': 'shared-key' };
    const mine = await t.app.request('POST', '/api/v1/qa-pairs', { body: pair(1, 'scoped'), headers });
    const theirs = await t.app.request('POST', '/api/v1/qa-pairs', { body: pair(1, 'scoped'), headers, key: ADMIN_KEY });
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(await rowsTagged('scoped')).toBe(2);
    const stored = JSON.stringify(await t.db.query(`SELECT * FROM idempotency_keys`));
    expect(stored).not.toContain(USER_KEY);
    expect(stored).not.toContain(ADMIN_KEY);
  });

  it('lets concurrent duplicates in flight create once: every one gets the first result', async () => {
    const body = { items: items(500, 'racing') };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => t.app.request('POST', '/api/v1/qa-pairs/bulk', { body, headers: { 'idempotency-key': 'racing-1' } })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(201));
    for (const answer of answers) expect(answer.body).toEqual(answers[0].body);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(5);
    expect(await rowsTagged('racing')).toBe(500);
  });

  it('forgets a key after the retention: it may then create again', async () => {
    const headers = { 'idempotency-key': 'expiring-1' };
    expect((await t.app.request('POST', '/api/v1/qa-pairs', { body: pair(1, 'expiring'), headers })).status).toBe(201);
    await t.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'expiring-1'`);
    const later = await t.app.request('POST', '/api/v1/qa-pairs', { body: pair(2, 'expiring'), headers });
    expect(later.status).toBe(201);
    expect(later.headers.get('idempotent-replayed')).toBeNull();
    expect(await rowsTagged('expiring')).toBe(2);
  });

  it('creates once when the client loses the connection and retries with the same key', async () => {
    const body = { items: items(2000, 'hangup') };
    const headers = { 'idempotency-key': 'hangup-1' };
    await sendAndHangUp(t.app.baseUrl, '/api/v1/qa-pairs/bulk', body, headers);
    const retry = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body, headers });
    expect(retry.status).toBe(201);
    expect(retry.body.created).toBe(2000);
    expect(await rowsTagged('hangup')).toBe(2000);
  });

  it('answers 201 once the insert has committed even if reading embedding states fails afterwards', async () => {
    // A fault after the commit: the statuses query cannot run (its table is gone for a moment).
    await t.db.query(`ALTER TABLE dead_letters RENAME TO dead_letters_away`);
    let first;
    try {
      first = await t.app.request('POST', '/api/v1/qa-pairs/bulk', {
        body: { items: items(20, 'after-commit') },
        headers: { 'idempotency-key': 'after-commit-1' },
      });
    } finally {
      await t.db.query(`ALTER TABLE dead_letters_away RENAME TO dead_letters`);
    }
    expect(first.status).toBe(201);
    expect(first.body.items.every((item: { embedding: { state: string } }) => item.embedding.state === 'pending')).toBe(true);
    const retry = await t.app.request('POST', '/api/v1/qa-pairs/bulk', {
      body: { items: items(20, 'after-commit') },
      headers: { 'idempotency-key': 'after-commit-1' },
    });
    expect(retry.status).toBe(201);
    expect(retry.body.items.map((i: { id: string }) => i.id)).toEqual(first.body.items.map((i: { id: string }) => i.id));
    expect(await rowsTagged('after-commit')).toBe(20);
  });
});

describe('Idempotency-Key across a PostgreSQL restart (private server)', () => {
  let postgres: PrivatePostgres;
  let environment: TestEnvironment;
  let app: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    const admin = new Client({ connectionString: postgres.url('postgres') });
    await admin.connect();
    await admin.query('CREATE DATABASE idem');
    await admin.end();
    const migrator = await new DataSource(dataSourceOptions({ url: postgres.url('idem'), poolSize: 1, statementTimeoutMs: 0 })).initialize();
    await migrator.runMigrations();
    await migrator.destroy();
    environment = await createTestEnvironment({ ...fakeProviderEnv({ baseURL: 'http://127.0.0.1:9/v1' }), ROLE: 'api' });
    app = await TestApp.start(environment, { DATABASE_URL: postgres.url('idem') });
    db = await openDatabase(postgres.url('idem'));
  });

  afterAll(async () => {
    await db?.destroy().catch(() => undefined);
    await app?.close().catch(() => undefined);
    postgres?.destroy();
    if (environment) await destroyTestEnvironment(environment);
  });

  it('a client retrying a bulk create through a restart with one key stores every pair exactly once', async () => {
    const body = { items: items(1000, 'restart') };
    const headers = { 'idempotency-key': 'restart-1' };
    const statuses: number[] = [];
    const restart = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      postgres.stop();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      postgres.start();
    })();
    let answer;
    for (let attempt = 0; attempt < 200; attempt++) {
      answer = await app
        .request('POST', '/api/v1/qa-pairs/bulk', { body, headers })
        .catch(() => ({ status: 0, body: undefined, headers: new Headers() }));
      statuses.push(answer.status);
      if (answer.status === 201) break;
      expect(answer.status === 0 || answer.status === 503).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await restart;
    expect(answer!.status).toBe(201);
    // Whether the first attempt committed before the stop or not, one copy: and the key answers it again.
    const again = await app.request('POST', '/api/v1/qa-pairs/bulk', { body, headers });
    expect(again.status).toBe(201);
    expect(again.body.items.map((i: { id: string }) => i.id)).toEqual(answer!.body.items.map((i: { id: string }) => i.id));
    expect(await countRows(db, `SELECT count(*) FROM qa_pairs WHERE category = 'restart'`)).toBe(1000);
    // The restart overlapped the first attempt (else this test proved nothing about it).
    expect(statuses.some((status) => status !== 201)).toBe(true);
  });
});
