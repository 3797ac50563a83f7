import { createServer } from 'node:net';
import { ADMIN_KEY, USER_KEY, waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

const GRACE_MS = 2_000;
const STREAMS_PER_KEY = 2;

/** A port nothing listens on now, for a child service (its PORT=0 would not tell us which it got). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** An open SSE stream: what it has received so far, and whether the server ended it. */
function openStream(baseUrl: string, path: string, key: string) {
  const abort = new AbortController();
  let text = '';
  let ended = false;
  const opened = fetch(baseUrl + path, { headers: { 'x-api-key': key }, signal: abort.signal }).then(async (response) => {
    if (response.status !== 200) return { status: response.status, body: await response.json() };
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body!) text += decoder.decode(chunk as Uint8Array, { stream: true });
        ended = true;
      } catch {
        /* aborted by the test, or the connection was cut */
      }
    })();
    return { status: 200, body: undefined };
  });
  return {
    opened,
    text: () => text,
    ended: () => ended,
    close: () => abort.abort(),
  };
}

/**
 * Server-sent event streams must not keep a stopping service alive (issue 10 item 15: an
 * open /migrations/:id/events stream held server.close() until SIGKILL, so workers kept
 * taking jobs), and one key may hold only a few of them open.
 */
describe('server-sent event streams: per-key cap and shutdown', () => {
  const t = useTestApp({ env: { HTTP_SHUTDOWN_GRACE_MS: String(GRACE_MS), SSE_MAX_STREAMS_PER_KEY: String(STREAMS_PER_KEY) } });
  let eventsPath: string;

  beforeAll(async () => {
    // A paused migration never settles, so its event stream stays open until someone ends it.
    const [migration] = await t.db.query(
      `INSERT INTO model_migrations (from_model_id, to_model_id, state, batch_size, auto_cutover, max_failure_share, estimate)
       SELECT f.id, o.id, 'paused', 100, false, 0.1, '{}'::jsonb FROM embedding_models f, embedding_models o
       WHERE f.name = 'text-embedding-3-small' AND o.name = 'text-embedding-ada-002'
       RETURNING id`,
    );
    eventsPath = `/api/v1/migrations/${migration.id}/events`;
  });

  it('lets one key hold at most SSE_MAX_STREAMS_PER_KEY streams (429 beyond), and frees a slot when a stream closes', async () => {
    const streams = [openStream(t.app.baseUrl, eventsPath, USER_KEY), openStream(t.app.baseUrl, eventsPath, USER_KEY)];
    try {
      for (const stream of streams) expect((await stream.opened).status).toBe(200);
      await waitFor(async () => streams.every((stream) => stream.text().includes('"state":"paused"')));

      const third = openStream(t.app.baseUrl, eventsPath, USER_KEY);
      streams.push(third);
      const refused = await third.opened;
      expect(refused).toMatchObject({
        status: 429,
        body: { message: `this API key already has ${STREAMS_PER_KEY} event streams open (SSE_MAX_STREAMS_PER_KEY); close one first` },
      });

      const otherKey = openStream(t.app.baseUrl, eventsPath, ADMIN_KEY);
      expect((await otherKey.opened).status).toBe(200);
      otherKey.close();

      streams[0].close();
      const replacement = await waitFor(async () => {
        const attempt = openStream(t.app.baseUrl, eventsPath, USER_KEY);
        if ((await attempt.opened).status === 200) return attempt;
        return null;
      }, 5_000);
      streams.push(replacement);
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it('ends open streams on SIGTERM and exits by itself with code 0', async () => {
    const port = await freePort();
    const service = await t.startProcess({ ROLE: 'all', PORT: String(port) });
    const stream = openStream(`http://127.0.0.1:${port}`, eventsPath, USER_KEY);
    expect((await stream.opened).status).toBe(200);
    await waitFor(async () => stream.text().includes('"state":"paused"'));

    service.child.kill('SIGTERM');
    // Generous: the assertion is that it leaves by itself, cleanly, not how fast.
    let timer: NodeJS.Timeout | undefined;
    const exitCode = await Promise.race([
      new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code))),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still running'), GRACE_MS + 25_000))),
    ]);
    clearTimeout(timer);
    stream.close();
    expect({ exitCode, output: exitCode === 0 ? '' : service.output().slice(-3000) }).toEqual({ exitCode: 0, output: '' });
    expect(stream.ended()).toBe(true);
    expect(stream.text()).toContain('event: shutdown');
  }, 60_000);
});
