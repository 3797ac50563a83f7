import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmbeddingQueue } from '../../src/queue/embedding-queue.service';
import { tracingEnabled } from '../../src/tracing/spans';
import { startTracing } from '../../src/tracing/tracing';
import { FAKE_OPENAI_KEY } from '../support/fake-provider';
import { USER_KEY, waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

const PAIR = { question: 'Which plans include single sign-on?', answer: 'Single sign-on comes with the business plan.', category: 'account' };

/** A stand-in OpenTelemetry collector: records what reaches POST /v1/traces. */
async function startCollector(): Promise<{ url: string; received: Array<{ path: string; type: string; body: Buffer }>; close(): Promise<void> }> {
  const received: Array<{ path: string; type: string; body: Buffer }> = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', type: String(request.headers['content-type']), body: Buffer.concat(chunks) });
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('tracing is configured by the OTEL_* variables only', () => {
  // No worker here: the jobs wait in Redis, to be read, run by hand, or left to a worker process.
  const t = useTestApp({ env: { ROLE: 'api' } });
  const stray = new InMemorySpanExporter();

  beforeAll(async () => {
    expect(await startTracing({ env: { OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' } })).toBeUndefined();
    expect(tracingEnabled()).toBe(false);
    // A tracer provider registered by someone else: with tracing off, nothing of ours reaches it either.
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: stray })] }));
  });
  afterAll(() => trace.disable());

  it('off: no spans, no trace context in job data, no trace id in the ledger, and everything works', async () => {
    const created = await t.app.request('POST', '/api/v1/qa-pairs', {
      body: PAIR,
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });
    expect(created.status).toBe(201);
    const queue = t.app.get(EmbeddingQueue);
    const [job] = (await queue.bull.getWaiting()).filter((waiting) => waiting.data.qaPairId === created.body.id);
    expect(Object.keys(job.data).sort()).toEqual(['contentHash', 'model', 'priority', 'purpose', 'qaPairId']);
    expect((await queue.processNext())?.outcome).toMatchObject({ status: 'embedded' });

    const searched = await t.app.request('POST', '/api/v1/search', { body: { query: 'single sign-on plan' } });
    expect(searched.status).toBe(200);
    expect(searched.body).toMatchObject({ mode: 'vector', cached: false });
    expect(searched.body.results[0].id).toBe(created.body.id);

    expect(await countRows(t.db, `SELECT count(*) FROM provider_calls`)).toBe(2);
    expect(await countRows(t.db, `SELECT count(*) FROM provider_calls WHERE trace_id IS NOT NULL`)).toBe(0);
    expect(stray.getFinishedSpans()).toEqual([]);
  });

  it('on in a worker process: its spans go out over OTLP (http/protobuf), flushed when SIGTERM stops it', async () => {
    const collector = await startCollector();
    try {
      const worker = await t.startProcess({
        ROLE: 'worker',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_SERVICE_NAME: 'embedding-worker-under-test',
        // Nothing is exported on a timer: what arrives was flushed by the shutdown.
        OTEL_BSP_SCHEDULE_DELAY: '600000',
      });
      const created = await t.app.request('POST', '/api/v1/qa-pairs', { body: { ...PAIR, question: 'Is there an audit log?' } });
      expect(created.status).toBe(201);
      const traceId = await waitFor(async () => {
        const [row] = await t.db.query(
          `SELECT c.trace_id FROM provider_calls c JOIN usage_ledger l ON l.call_id = c.id WHERE l.qa_pair_id = $1 AND c.status = 'confirmed'`,
          [created.body.id],
        );
        return row?.trace_id as string | undefined;
      });
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(collector.received).toEqual([]);

      expect(await worker.stop()).toBe(0);
      const exported = collector.received.filter((request) => request.path === '/v1/traces');
      expect(exported.length).toBeGreaterThan(0);
      expect(exported[0].type).toBe('application/x-protobuf');
      const body = Buffer.concat(exported.map((request) => request.body));
      // Protobuf keeps strings as UTF-8 and ids as raw bytes.
      for (const text of [
        'embedding-worker-under-test',
        'process embeddings',
        'embed batch',
        'embeddings text-embedding-3-small',
        'INSERT embeddings',
      ]) {
        expect(body.includes(Buffer.from(text))).toBe(true);
      }
      expect(body.includes(Buffer.from(traceId, 'hex'))).toBe(true);
      for (const secret of [FAKE_OPENAI_KEY, USER_KEY, 'Is there an audit log?', PAIR.answer]) expect(body.includes(Buffer.from(secret))).toBe(false);
    } finally {
      await collector.close();
    }
  });
});
