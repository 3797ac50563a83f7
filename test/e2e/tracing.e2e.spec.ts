import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTracing, type Tracing } from '../../src/tracing/tracing';
import { FAKE_OPENAI_KEY } from '../support/fake-provider';
import { startMigration } from '../support/migration-test-helpers';
import { ADMIN_KEY, USER_KEY, waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

const MODEL = 'text-embedding-3-small';
const TARGET = 'text-embedding-ada-002';
const PAIR = { question: 'How long are invoices kept in the archive?', answer: 'Invoices are archived for ten years.', category: 'billing' };
const BULK = [
  { question: 'Can I pay by bank transfer?', answer: 'Yes, bank transfer and card payments are accepted.', category: 'billing' },
  { question: 'How do I reset my password?', answer: 'Use the forgotten password link on the sign-in page.', category: 'account' },
  { question: 'Where can I change my email address?', answer: 'Open account settings and edit the email field.', category: 'account' },
];
const QUERY = 'how long are invoices archived';

describe('OpenTelemetry traces (in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing | undefined;
  // Before the app boots (useTestApp's beforeAll), as main.ts does.
  beforeAll(async () => {
    tracing = await startTracing({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  });
  // Scheduled tasks on short periods, so each runs while the file does (the reconciler's first pass comes 2 s after start).
  const t = useTestApp({ env: { COST_ALERT_CHECK_INTERVAL_MS: '200', BATCH_LANE_POLL_MS: '200' } });
  afterAll(async () => {
    await tracing?.shutdown();
  });

  const spans = () => exporter.getFinishedSpans();
  const traceOf = (span: ReadableSpan) => spans().filter((s) => s.spanContext().traceId === span.spanContext().traceId);
  const named = (list: ReadableSpan[], name: string) => list.filter((s) => s.name === name);
  const only = (list: ReadableSpan[], name: string) => {
    const found = named(list, name);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const parentId = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  const spanId = (span: ReadableSpan) => span.spanContext().spanId;
  const jobSpanOf = (pairId: string) =>
    spans().find((s) => s.name === 'process embeddings' && String(s.attributes['messaging.message.id']).startsWith(pairId));
  const ledgerTraceIds = async (where: string, params: unknown[]) =>
    (await t.db.query(`SELECT DISTINCT c.trace_id FROM provider_calls c JOIN usage_ledger l ON l.call_id = c.id WHERE ${where}`, params)).map(
      (row: { trace_id: string | null }) => row.trace_id,
    );

  it('follows one create from the HTTP request through the job and its batch to the provider call, the store write and the ledger row', async () => {
    const created = await t.app.request('POST', '/api/v1/qa-pairs', { body: PAIR });
    expect(created.status).toBe(201);
    const pairId: string = created.body.id;
    // The job's span ends after its batch (and everything in it): once it is exported, so is the rest.
    const job = await waitFor(async () => jobSpanOf(pairId));
    const trace = traceOf(job);

    const http = only(trace, 'POST /api/v1/qa-pairs');
    expect(http.kind).toBe(SpanKind.SERVER);
    expect(http.parentSpanContext).toBeUndefined();
    expect(http.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/api/v1/qa-pairs', 'http.response.status_code': 201 });

    const send = only(trace, 'send embeddings');
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(parentId(send)).toBe(spanId(http));
    expect(job.kind).toBe(SpanKind.CONSUMER);
    expect(parentId(job)).toBe(spanId(send));
    expect(job.attributes).toMatchObject({
      'messaging.destination.name': 'embeddings',
      'embedding.model': MODEL,
      'embedding.job.outcome': 'embedded',
    });

    const batch = only(trace, 'embed batch');
    expect(parentId(batch)).toBe(spanId(job));
    expect(batch.links.map((link) => link.context.spanId)).toEqual([spanId(job)]);
    expect(batch.attributes).toMatchObject({ 'embedding.jobs': 1, 'embedding.pairs_embedded': 1, 'embedding.provider_calls': 1 });

    const call = only(trace, `embeddings ${MODEL}`);
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(parentId(call)).toBe(spanId(batch));
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': MODEL,
      'embedding.pairs': 1,
      'embedding.breaker.state': 'closed',
    });
    expect(call.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(5);

    const write = only(trace, 'INSERT embeddings');
    expect(parentId(write)).toBe(spanId(batch));
    expect(write.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.collection.name': 'embeddings', 'embedding.pairs_written': 1 });

    expect(await ledgerTraceIds('l.qa_pair_id = $1', [pairId])).toEqual([job.spanContext().traceId]);
  });

  it('links a batch to every job it serves; a bulk create is one trace', async () => {
    const created = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items: BULK } });
    expect(created.status).toBe(201);
    const ids: string[] = created.body.items.map((item: { id: string }) => item.id);
    const jobs = await waitFor(async () => {
      const found = ids.map(jobSpanOf);
      return found.every(Boolean) ? (found as ReadableSpan[]) : undefined;
    });
    const trace = traceOf(jobs[0]);
    const send = only(trace, 'send embeddings');
    expect(send.attributes['messaging.batch.message_count']).toBe(BULK.length);
    for (const job of jobs) {
      expect(job.spanContext().traceId).toBe(send.spanContext().traceId);
      expect(parentId(job)).toBe(spanId(send));
    }
    // However the micro-batcher split them, every job is linked from a batch whose parent is one of them.
    const batches = named(trace, 'embed batch');
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.flatMap((batch) => batch.links.map((link) => link.context.spanId)).sort()).toEqual(jobs.map(spanId).sort());
    for (const batch of batches) expect(jobs.map(spanId)).toContain(parentId(batch));
    const written = named(trace, 'INSERT embeddings').reduce((sum, write) => sum + Number(write.attributes['embedding.pairs_written']), 0);
    expect(written).toBe(BULK.length);
    expect(await ledgerTraceIds('l.qa_pair_id = ANY($1::uuid[])', [ids])).toEqual([send.spanContext().traceId]);
  });

  it('gives a search its span with mode, model and tokens, and the provider call under it; a cache hit spends none', async () => {
    const searched = await t.app.request('POST', '/api/v1/search', { body: { query: QUERY } });
    expect(searched.status).toBe(200);
    expect(searched.body.cached).toBe(false);
    const search = await waitFor(async () => spans().find((s) => s.name === 'search' && s.attributes['search.cached'] === false));
    const trace = traceOf(search);
    const http = only(trace, 'POST /api/v1/search');
    expect(parentId(search)).toBe(spanId(http));
    expect(search.attributes).toMatchObject({
      'search.requested_mode': 'vector',
      'search.mode': 'vector',
      'embedding.model': MODEL,
      'search.query_tokens': searched.body.queryTokens,
      'search.results': searched.body.results.length,
    });
    expect(searched.body.queryTokens).toBeGreaterThan(3);
    const call = only(trace, `embeddings ${MODEL}`);
    expect(parentId(call)).toBe(spanId(search));
    expect(call.attributes).toMatchObject({ 'gen_ai.request.model': MODEL, 'gen_ai.usage.input_tokens': searched.body.queryTokens });
    expect(await ledgerTraceIds(`l.purpose = 'search'`, [])).toEqual([search.spanContext().traceId]);

    const again = await t.app.request('POST', '/api/v1/search', { body: { query: QUERY } });
    expect(again.body.cached).toBe(true);
    const hit = await waitFor(async () => spans().find((s) => s.name === 'search' && s.attributes['search.cached'] === true));
    expect(hit.attributes).toMatchObject({ 'search.query_tokens': 0, 'embedding.model': MODEL });
    expect(named(traceOf(hit), `embeddings ${MODEL}`)).toEqual([]);
  });

  it("continues a caller's trace (W3C traceparent), and a degraded search says why", async () => {
    await t.app.request('POST', '/api/v1/circuit-breakers/openai/force-open', { key: ADMIN_KEY, body: { reason: 'tracing test' } });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await t.app.request('POST', '/api/v1/search', {
      body: { query: 'bank transfer' },
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    await t.app.request('POST', '/api/v1/circuit-breakers/openai/reset', { key: ADMIN_KEY });
    expect(response.status).toBe(200);
    expect(response.body.mode).toBe('lexical');
    const search = await waitFor(async () => spans().find((s) => s.name === 'search' && s.spanContext().traceId === traceId));
    expect(search.attributes).toMatchObject({ 'search.mode': 'lexical', 'search.degraded_reason': response.body.degradedReason });
    const http = only(traceOf(search), 'POST /api/v1/search');
    expect(parentId(http)).toBe('00f067aa0ba902b7');
    const refused = only(traceOf(search), `embeddings ${MODEL}`);
    expect(refused.attributes).toMatchObject({ 'error.type': response.body.degradedReason, 'embedding.breaker.state': 'open' });
  });

  it('gives each scheduled task a trace of its own', async () => {
    for (const [name, task] of [
      ['reconcile', 'reconcile'],
      ['cost-alerts check', 'cost-alerts'],
      ['batch-lane poll', 'batch-lane:poll'],
    ]) {
      const span = await waitFor(async () => spans().find((s) => s.name === name));
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.attributes['scheduled.task']).toBe(task);
    }
  });

  it('makes each migration step a trace that the jobs it queues continue', async () => {
    const migrationId = await startMigration(t.app, { fromModel: MODEL, toModel: TARGET });
    const job = await waitFor(async () =>
      spans().find(
        (s) => s.name === 'process embeddings' && s.attributes['embedding.model'] === TARGET && s.attributes['embedding.job.outcome'] === 'embedded',
      ),
    );
    const step = only(traceOf(job), 'migration step');
    expect(step.parentSpanContext).toBeUndefined();
    expect(step.attributes).toMatchObject({ 'migration.id': migrationId, 'migration.state': 'running', 'migration.lane': 'live' });
    expect(named(traceOf(job), `embeddings ${TARGET}`).length).toBeGreaterThan(0);
    const pairId = String(job.attributes['messaging.message.id']).slice(0, 36);
    expect(await ledgerTraceIds(`l.qa_pair_id = $1 AND l.purpose = 'migration'`, [pairId])).toEqual([step.spanContext().traceId]);
  });

  it('puts no secret and no user text in any span', () => {
    expect(spans().length).toBeGreaterThan(10);
    const recorded = JSON.stringify(spans().map((s) => ({ name: s.name, attributes: s.attributes, status: s.status, events: s.events })));
    for (const secret of [USER_KEY, ADMIN_KEY, FAKE_OPENAI_KEY, PAIR.question, PAIR.answer, QUERY, ...BULK.map((pair) => pair.question)]) {
      expect(recorded).not.toContain(secret);
    }
  });
});
