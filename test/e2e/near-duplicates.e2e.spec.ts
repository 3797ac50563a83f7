import { SeededRandom } from '../../src/compare/near-duplicates/seeded-random';
import { BackgroundRuns } from '../../src/compare/runs/background-runs';
import { CompareRuns } from '../../src/compare/runs/compare-runs';
import { EmbeddingVectors } from '../../src/embeddings/embedding-vectors';
import { ADMIN_KEY, USER_KEY, waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

/** Above this many 1536-d vectors a near-duplicate request becomes a background scan (here, for the test). */
const SYNC_MAX_VECTORS = 50;
const BASE_TEXTS = 100;

/** Twelve random words: unrelated texts share almost no features, so their cosine stays far below 0.95. */
function randomText(random: SeededRandom): { question: string; answer: string } {
  const word = () => Array.from({ length: 3 + random.nextInt(5) }, () => String.fromCharCode(97 + random.nextInt(26))).join('');
  const words = Array.from({ length: 12 }, word);
  return { question: `${words.slice(0, 5).join(' ')}?`, answer: `${words.slice(5).join(' ')}.` };
}

/** The same words, shouted: the feature-hashing vector is identical (cosine 1). */
function copyOf(text: { question: string; answer: string }) {
  return { question: text.question.toUpperCase(), answer: `${text.answer.toUpperCase()}!` };
}

describe('near-duplicates at ingestion and in background scans', () => {
  /** Ids of the bulk import: 100 unrelated texts, two copies of text 0 and one of texts 1–8. */
  let base: string[];
  let copies: Map<number, string[]>;

  const t = useTestApp({ env: { NEAR_DUPLICATE_SYNC_MAX_VECTORS: String(SYNC_MAX_VECTORS) } });

  const pairKey = (x: string, y: string) => (x < y ? `${x}|${y}` : `${y}|${x}`);
  const embeddedCount = async (ids: string[]) =>
    Number((await t.db.query(`SELECT count(*) AS n FROM embeddings WHERE qa_pair_id = ANY($1::uuid[])`, [ids]))[0].n);

  function expectedPairs(): Set<string> {
    const keys = new Set<string>();
    for (const [i, copyIds] of copies) {
      const group = [base[i], ...copyIds];
      for (let a = 0; a < group.length; a++) for (let b = a + 1; b < group.length; b++) keys.add(pairKey(group[a], group[b]));
    }
    return keys;
  }

  it('records duplicates when a new or changed pair is embedded', async () => {
    const create = async (question: string, answer: string) =>
      (await t.app.request('POST', '/api/v1/qa-pairs', { body: { question, answer, category: 'live' } })).body.id as string;
    const original = await create('How do I export my invoices as a PDF file?', 'Open Billing, choose Invoices and press Export.');
    await waitFor(async () => (await embeddedCount([original])) === 1);
    const duplicate = await create('how do I export my invoices as a pdf file', 'Open billing, choose invoices and press export!');

    const detected = await waitFor(async () => {
      const response = await t.app.request('GET', `/api/v1/compare/near-duplicates/detected?qaPairId=${duplicate}`);
      return response.body.total > 0 ? response.body : null;
    });
    expect(detected.items).toEqual([
      {
        idA: [original, duplicate].sort()[0],
        idB: [original, duplicate].sort()[1],
        similarity: expect.closeTo(1, 5),
        detectedAt: expect.any(String),
      },
    ]);

    // Once either pair changes, the recorded pair no longer counts, before and after the new embedding.
    const changed = await t.app.request('PATCH', `/api/v1/qa-pairs/${duplicate}`, {
      body: { answer: 'Invoices are exported from the Billing page as CSV files.' },
    });
    expect(changed.status).toBe(200);
    expect((await t.app.request('GET', `/api/v1/compare/near-duplicates/detected?qaPairId=${duplicate}`)).body.total).toBe(0);
    await waitFor(async () => (await t.app.request('GET', `/api/v1/qa-pairs/${duplicate}`)).body.embedding.state === 'embedded');
    await waitFor(
      async () =>
        Number((await t.db.query(`SELECT count(*) AS n FROM near_duplicates WHERE qa_pair_b = $1 OR qa_pair_a = $1`, [duplicate]))[0].n) === 0,
    );
  });

  it('checks a bulk import in batches and records each planted duplicate', async () => {
    const random = new SeededRandom(11);
    const texts = Array.from({ length: BASE_TEXTS }, () => randomText(random));
    const plan: Array<[number, number]> = [[0, 2], ...Array.from({ length: 8 }, (_, i): [number, number] => [i + 1, 1])];
    const items = [...texts, ...plan.flatMap(([i, n]) => Array.from({ length: n }, () => copyOf(texts[i])))].map((text) => ({
      ...text,
      category: 'bulk',
    }));
    const created = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } });
    expect(created.status).toBe(201);
    const ids: string[] = created.body.items.map((item: { id: string }) => item.id);
    base = ids.slice(0, BASE_TEXTS);
    copies = new Map();
    let next = BASE_TEXTS;
    for (const [i, n] of plan) copies.set(i, ids.slice(next, (next += n)));
    await waitFor(async () => (await embeddedCount(ids)) === ids.length, 60_000);

    const detected = await waitFor(async () => {
      const response = await t.app.request('GET', '/api/v1/compare/near-duplicates/detected?category=bulk&limit=100');
      return response.body.total === 11 ? response.body : null;
    });
    expect(new Set(detected.items.map((p: { idA: string; idB: string }) => pairKey(p.idA, p.idB)))).toEqual(expectedPairs());
  });

  it('turns a request over too many vectors into a background scan with progress and stored, paginated results', async () => {
    const answered = await t.app.request('POST', '/api/v1/compare/near-duplicates', { body: { category: 'live' } });
    expect(answered.status).toBe(200);
    expect(answered.body.mode).toBe('in-request');

    // Over the cut-off the request becomes a background scan, which only an admin may start.
    const refused = await t.app.request('POST', '/api/v1/compare/near-duplicates', { body: { category: 'bulk', cluster: true } });
    expect({ status: refused.status, message: refused.body.message }).toEqual({
      status: 403,
      message: expect.stringMatching(/110 vectors .* background scan, which needs an admin API key/),
    });
    expect((await t.app.request('GET', '/api/v1/compare/near-duplicates/scans')).body.total).toBe(0);
    const started = await t.app.request('POST', '/api/v1/compare/near-duplicates', { body: { category: 'bulk', cluster: true }, key: ADMIN_KEY });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      mode: 'background',
      vectors: 110,
      scan: { status: 'queued', progress: 0, threshold: 0.95, category: 'bulk', limit: 100_000 },
    });
    const id = started.body.scan.id;

    const seen: Array<{ status: string; progress: number }> = [];
    const scan = await waitFor(async () => {
      const polled = (await t.app.request('GET', `/api/v1/compare/near-duplicates/scans/${id}`)).body;
      seen.push({ status: polled.status, progress: polled.progress });
      return polled.status === 'completed' ? polled : null;
    });
    expect(scan).toMatchObject({
      progress: 1,
      phase: 'done',
      attempt: 1,
      error: null,
      summary: { vectors: 110, pairs: 11, clusters: 9, truncated: false },
    });
    const progress = seen.map((s) => s.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const first = await t.app.request('GET', `/api/v1/compare/near-duplicates/scans/${id}/pairs?limit=5`);
    const rest = await t.app.request('GET', `/api/v1/compare/near-duplicates/scans/${id}/pairs?limit=10&offset=5`);
    expect(first.body).toMatchObject({ total: 11, limit: 5, offset: 0 });
    expect(first.body.items).toHaveLength(5);
    expect(rest.body.items).toHaveLength(6);
    const pairs = [...first.body.items, ...rest.body.items];
    expect(new Set(pairs.map((p: { idA: string; idB: string }) => pairKey(p.idA, p.idB)))).toEqual(expectedPairs());
    for (const pair of pairs) expect(pair.similarity).toBeCloseTo(1, 5);

    const clusters = await t.app.request('GET', `/api/v1/compare/near-duplicates/scans/${id}/clusters?limit=2`);
    expect(clusters.body).toMatchObject({ total: 9, limit: 2 });
    expect(clusters.body.items[0]).toEqual({ rank: 1, size: 3, qaPairIds: [base[0], ...copies.get(0)!].sort() });
    expect(clusters.body.items[1].size).toBe(2);

    const list = await t.app.request('GET', '/api/v1/compare/near-duplicates/scans');
    expect(list.body.items.map((item: { id: string }) => item.id)).toContain(id);
  });

  it('scans without loading every vector: signatures in memory, candidates read back in blocks', async () => {
    const vectors = t.app.get(EmbeddingVectors);
    const loadAll = jest.spyOn(vectors, 'loadCurrent');
    const readBack: number[] = [];
    const snapshot = jest.spyOn(vectors, 'readSnapshot').mockImplementation(function (this: EmbeddingVectors, model, category, body) {
      snapshot.mockRestore();
      return vectors.readSnapshot(model, category, (source) => {
        const vectorsOf = source.vectorsOf.bind(source);
        source.vectorsOf = async (ids) => (readBack.push(ids.length), vectorsOf(ids));
        return body(source);
      });
    });
    try {
      const started = await t.app.request('POST', '/api/v1/compare/near-duplicates/scans', { body: { category: 'bulk' }, key: ADMIN_KEY });
      expect(started.status).toBe(202);
      const done = await waitFor(async () => {
        const polled = (await t.app.request('GET', `/api/v1/compare/near-duplicates/scans/${started.body.id}`)).body;
        return polled.status === 'completed' ? polled : null;
      });
      expect(done.summary).toMatchObject({ vectors: 110, pairs: 11 });
      expect(loadAll).not.toHaveBeenCalled();
      // Only candidates' vectors come back: the 11 pairs involve 19 of the 110 (plus the odd false candidate).
      expect(readBack.length).toBeGreaterThan(0);
      expect(readBack.reduce((sum, n) => sum + n, 0)).toBeLessThan(110);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('shows the progress a running scan writes', async () => {
    const runs = t.app.get(CompareRuns);
    const run = await runs.create('near_duplicate_scan', 1, { threshold: 0.95, limit: 10, category: null }, 'api');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const executing = t.app.get(BackgroundRuns).execute(
      'near_duplicate_scan',
      run.id,
      run.attempt,
      async (_claimed, report) => {
        report(0.4, 'searching');
        await gate;
        return { summary: { vectors: 0, pairs: 0, clusters: 0, truncated: false, loadSeconds: 0, scanSeconds: 0 } };
      },
      new AbortController().signal,
    );
    const running = await waitFor(async () => {
      const polled = (await t.app.request('GET', `/api/v1/compare/near-duplicates/scans/${run.id}`)).body;
      return polled.progress > 0 ? polled : null;
    });
    expect(running).toMatchObject({ status: 'running', progress: expect.closeTo(0.4, 5), phase: 'searching' });
    release();
    expect(await executing).toBe('completed');
  });

  it('shows a run whose job or worker was lost as interrupted, and runs it again on retry', async () => {
    const runs = t.app.get(CompareRuns);
    // A run whose job Redis lost (never queued here), and one whose worker stopped mid-run.
    const lostJob = await runs.create('near_duplicate_scan', 1, { threshold: 0.95, limit: 100, category: 'bulk' }, 'api');
    await t.db.query(`UPDATE compare_runs SET heartbeat_at = now() - interval '1 minute' WHERE id = $1`, [lostJob.id]);
    const lostWorker = await runs.create('near_duplicate_scan', 1, { threshold: 0.95, limit: 100, category: 'bulk' }, 'api');
    await t.db.query(`UPDATE compare_runs SET status = 'running', progress = 0.3, heartbeat_at = now() - interval '10 minutes' WHERE id = $1`, [
      lostWorker.id,
    ]);

    for (const [run, cause] of [
      [lostJob, /Redis lost it/],
      [lostWorker, /stopped reporting progress/],
    ] as const) {
      const shown = await t.app.request('GET', `/api/v1/compare/near-duplicates/scans/${run.id}`);
      expect(shown.body).toMatchObject({ status: 'interrupted', error: expect.stringMatching(cause) });
      expect((await t.app.request('GET', `/api/v1/compare/near-duplicates/scans/${run.id}/pairs`)).status).toBe(409);

      expect((await t.app.request('POST', `/api/v1/compare/near-duplicates/scans/${run.id}/retry`)).status).toBe(403);
      const retried = await t.app.request('POST', `/api/v1/compare/near-duplicates/scans/${run.id}/retry`, { key: ADMIN_KEY });
      expect(retried.status).toBe(202);
      expect(retried.body).toMatchObject({ status: 'queued', attempt: 2, progress: 0, error: null });
      const done = await waitFor(async () => {
        const polled = (await t.app.request('GET', `/api/v1/compare/near-duplicates/scans/${run.id}`)).body;
        return polled.status === 'completed' ? polled : null;
      });
      expect(done.summary).toMatchObject({ vectors: 110, pairs: 11 });
      expect((await t.app.request('POST', `/api/v1/compare/near-duplicates/scans/${run.id}/retry`, { key: ADMIN_KEY })).status).toBe(409);
    }
  });

  it('hides pairs dismissed as not duplicates until either text changes; an admin may take a dismissal back', async () => {
    const create = async (question: string, answer: string) =>
      (await t.app.request('POST', '/api/v1/qa-pairs', { body: { question, answer, category: 'dismiss' } })).body.id as string;
    const first = await create('Which plan includes the zebra reporting add-on?', 'The quokka plan includes zebra reporting.');
    await waitFor(async () => (await embeddedCount([first])) === 1);
    const second = await create('which plan includes the ZEBRA reporting add-on', 'The quokka plan includes zebra reporting!');
    const [idA, idB] = [first, second].sort();
    const detected = async (includeDismissed = false) =>
      (await t.app.request('GET', `/api/v1/compare/near-duplicates/detected?category=dismiss&includeDismissed=${includeDismissed}`)).body.items.map(
        (pair: { idA: string; idB: string }) => `${pair.idA}|${pair.idB}`,
      );
    await waitFor(async () => (await detected()).length === 1);

    const dismiss = (body: unknown, key = ADMIN_KEY) => t.app.request('POST', '/api/v1/compare/near-duplicates/dismissals', { body, key });
    expect((await dismiss({ qaPairIds: [idA, idB] }, USER_KEY)).status).toBe(403);
    expect(await dismiss({ qaPairIds: [idA, idA] })).toMatchObject({
      status: 400,
      body: { message: 'qaPairIds: must name at least two different QA pairs' },
    });
    expect((await dismiss({ qaPairIds: [idA] })).status).toBe(400);
    expect(await dismiss({ qaPairIds: [idA, '9b2f5a8e-0000-4000-8000-000000000000'] })).toMatchObject({ status: 404 });
    const dismissed = await dismiss({ qaPairIds: [idB, idA], reason: 'different products' });
    expect(dismissed).toMatchObject({ status: 201, body: { dismissed: 1, items: [{ idA, idB, reason: 'different products', current: true }] } });
    expect(await detected()).toEqual([]);
    expect(await detected(true)).toEqual([`${idA}|${idB}`]);

    // An edit (same words, so still a duplicate) makes the two worth a look again.
    expect(
      (await t.app.request('PATCH', `/api/v1/qa-pairs/${second}`, { body: { answer: 'THE QUOKKA PLAN INCLUDES ZEBRA REPORTING.' } })).status,
    ).toBe(200);
    await waitFor(async () => (await detected()).length === 1);
    const listed = (await t.app.request('GET', '/api/v1/compare/near-duplicates/dismissals')).body;
    expect(listed).toMatchObject({ total: 1, items: [{ id: dismissed.body.items[0].id, current: false }] });

    const undo = (key = ADMIN_KEY) => t.app.request('DELETE', `/api/v1/compare/near-duplicates/dismissals/${dismissed.body.items[0].id}`, { key });
    expect((await undo(USER_KEY)).status).toBe(403);
    expect((await undo()).body).toMatchObject({ idA, idB });
    expect((await undo()).status).toBe(404);
  });
});
