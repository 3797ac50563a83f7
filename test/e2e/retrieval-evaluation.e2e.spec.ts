import { ingestPairs, migrationPairs, startMigration, untilState } from '../support/migration-test-helpers';
import { ADMIN_KEY, USER_KEY, waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

const SMALL = 'text-embedding-3-small';
const ADA = 'text-embedding-ada-002';
const PAIRS = 200;
const LABELLED = 60;
/** Per-component noise that leaves the active model useful but imperfect, and one that ruins a model. */
const SOME_NOISE = 0.02;
const RUINOUS_NOISE = 0.2;

/**
 * Labelled queries, evaluations of a model, and the migration quality gate end to end, with
 * the fake provider serving models of chosen quality (`modelNoise`: noisier vectors behind a
 * model name). The searches ask for exact answers over 200 pairs: SEARCH_EF_SEARCH makes the
 * index scan exhaustive, so the figures measure the models, not HNSW recall.
 */
describe('retrieval evaluation and the migration quality gate', () => {
  const t = useTestApp({ env: { MIGRATION_TICK_MS: '100', SEARCH_EF_SEARCH: '1000', RATE_LIMIT_TPM: '0' } });
  const admin = (method: string, path: string, body?: unknown) => t.app.request(method, path, { body, key: ADMIN_KEY });
  const ledgerTokens = (purpose: string) => countRows(t.db, `SELECT coalesce(sum(tokens), 0) FROM usage_ledger WHERE purpose = $1`, [purpose]);
  const pairs = migrationPairs(PAIRS, 'eval');
  let ids: string[] = [];

  beforeAll(async () => {
    t.fake.configure({ modelNoise: { [SMALL]: SOME_NOISE } });
    await ingestPairs(t.app, t.db, pairs, SMALL);
    const rows: Array<{ id: string; question: string }> = await t.db.query(`SELECT id, question FROM qa_pairs`);
    const byQuestion = new Map(rows.map((row) => [row.question, row.id]));
    ids = pairs.map((pair) => byQuestion.get(pair.question)!);
  });

  const labelledQuery = (i: number) => ({ query: `how do I set up integration ${i} for team ${i % 29}`, relevantPairIds: [ids[i]] });

  it('without labelled queries, the estimates say the gate cannot judge', async () => {
    const evaluation = await t.app.request('POST', '/api/v1/evaluations/estimate', { body: { model: SMALL } });
    expect(evaluation).toMatchObject({ status: 200, body: { model: SMALL, baselineModel: null, labelledQueries: 0, tokens: 0 } });
    expect(evaluation.body.warnings.join(' ')).toMatch(/no labelled queries/);
    const migration = await t.app.request('POST', '/api/v1/migrations/estimate', { body: { fromModel: SMALL, toModel: ADA } });
    expect(migration.body.qualityGate).toMatchObject({ labelledQueries: 0, tokens: 0, warning: expect.stringMatching(/no labelled queries/) });
  });

  it('labelled queries: add, read, list, delete, with bad input refused by name', async () => {
    const created = await t.app.request('POST', '/api/v1/evaluation/queries', { body: { ...labelledQuery(0), category: 'setup' } });
    expect(created).toMatchObject({ status: 201, body: { query: labelledQuery(0).query, category: 'setup', relevantPairIds: [ids[0]] } });
    // The same text again replaces its answers rather than doubling the query.
    const again = await t.app.request('POST', '/api/v1/evaluation/queries', {
      body: { query: labelledQuery(0).query, relevantPairIds: [ids[1], ids[0]] },
    });
    expect(again.body.id).toBe(created.body.id);
    expect(again.body.relevantPairIds.sort()).toEqual([ids[0], ids[1]].sort());
    expect((await t.app.request('GET', `/api/v1/evaluation/queries/${created.body.id}`)).body.relevantPairIds).toHaveLength(2);

    const bad: Array<[unknown, RegExp]> = [
      [{ relevantPairIds: [ids[0]] }, /^query: /],
      [{ query: '   ', relevantPairIds: [ids[0]] }, /^query: must not be blank/],
      [{ query: 'q', relevantPairIds: [] }, /^relevantPairIds: /],
      [{ query: 'q', relevantPairIds: ['not-a-uuid'] }, /^relevantPairIds: /],
      [
        { query: 'q', relevantPairIds: ['9b2f5a8e-0000-4000-8000-000000000000'] },
        /^relevantPairIds: no QA pair with id 9b2f5a8e-0000-4000-8000-000000000000/,
      ],
    ];
    for (const [body, message] of bad) {
      const response = await t.app.request('POST', '/api/v1/evaluation/queries', { body });
      expect({ body, status: response.status, message: response.body.message }).toEqual({
        body,
        status: 400,
        message: expect.stringMatching(message),
      });
    }
    expect((await t.app.request('GET', '/api/v1/evaluation/queries')).body.total).toBe(1);
    expect((await t.app.request('DELETE', `/api/v1/evaluation/queries/${created.body.id}`)).status).toBe(204);
    expect((await t.app.request('DELETE', `/api/v1/evaluation/queries/${created.body.id}`)).status).toBe(404);
    expect((await t.app.request('GET', '/api/v1/evaluation/queries/not-a-uuid')).status).toBe(400);
  });

  it('imports CSV and JSON Lines all or nothing; a bad file answers 400 naming its line', async () => {
    const importFile = (format: string, content: string) => t.app.request('POST', '/api/v1/evaluation/queries/import', { body: { format, content } });
    const badFiles: Array<[string, string, RegExp]> = [
      ['jsonl', `${JSON.stringify(labelledQuery(1))}\n{not json}\n`, /^content: line 2: is not valid JSON/],
      [
        'jsonl',
        `${JSON.stringify(labelledQuery(1))}\n${JSON.stringify({ query: 'x', relevantPairIds: 'abc' })}`,
        /^content: line 2: relevantPairIds/,
      ],
      ['jsonl', `${JSON.stringify(labelledQuery(1))}\n\n${JSON.stringify(labelledQuery(1))}`, /^content: line 3: the same query as line 1/],
      [
        'jsonl',
        `${JSON.stringify({ ...labelledQuery(1), relevantPairIds: ['9b2f5a8e-0000-4000-8000-000000000000'] })}`,
        /^content: line 1: no QA pair/,
      ],
      ['csv', `question,ids\nq,${ids[1]}\n`, /^content: line 1: the header must name the columns query and relevant_pair_ids/],
      ['csv', `query,relevant_pair_ids\n"q1",${ids[1]}\n"q2",\n`, /^content: line 3: relevantPairIds: must list at least one/],
      ['csv', `query,relevant_pair_ids\n"unterminated,${ids[1]}\n`, /^content: line \d+: is not valid CSV/],
      ['xml', '<queries/>', /^format: /],
      ['jsonl', '\n\n', /^content: holds no labelled query/],
    ];
    for (const [format, content, message] of badFiles) {
      const response = await importFile(format, content);
      expect({ content, status: response.status, message: response.body.message }).toEqual({
        content,
        status: 400,
        message: expect.stringMatching(message),
      });
    }
    expect((await t.app.request('GET', '/api/v1/evaluation/queries')).body.total).toBe(0);

    const half = LABELLED / 2;
    const jsonl = Array.from({ length: half }, (_, i) => JSON.stringify(labelledQuery(i))).join('\n');
    expect(await importFile('jsonl', jsonl)).toMatchObject({ status: 201, body: { imported: half } });
    const csv = [
      'query,relevant_pair_ids,category',
      ...Array.from({ length: half }, (_, i) => `"${labelledQuery(half + i).query}",${ids[half + i]},`),
    ].join('\r\n');
    expect(await importFile('csv', csv)).toMatchObject({ status: 201, body: { imported: half } });
    // Importing the same file again updates, it does not double.
    expect(await importFile('jsonl', jsonl)).toMatchObject({ status: 201, body: { imported: half } });
    expect((await t.app.request('GET', '/api/v1/evaluation/queries?limit=1')).body.total).toBe(LABELLED);
  });

  it('evaluates a model as a resource: estimate, then recall, MRR and nDCG per category, its tokens in the ledger', async () => {
    const estimate = (await t.app.request('POST', '/api/v1/evaluations/estimate', { body: { model: SMALL } })).body;
    expect(estimate).toMatchObject({ labelledQueries: LABELLED, baselineModel: null, warnings: [] });
    expect(estimate.tokens).toBeGreaterThan(LABELLED);
    expect((await t.app.request('POST', '/api/v1/evaluations', { body: { model: SMALL }, key: USER_KEY })).status).toBe(403);
    expect((await admin('POST', '/api/v1/evaluations', { model: 'no-such-model' })).status).toBe(404);

    const before = await ledgerTokens('evaluation');
    const started = await admin('POST', '/api/v1/evaluations', { model: SMALL });
    expect(started).toMatchObject({ status: 202, body: { model: SMALL, labelledQueries: LABELLED } });
    await waitFor(async () => (await t.app.request('GET', `/api/v1/evaluations/${started.body.id}`)).body.status !== 'running', 60_000, 100);
    const evaluation = (await t.app.request('GET', `/api/v1/evaluations/${started.body.id}`)).body;
    expect(evaluation).toMatchObject({ status: 'completed', progress: 1, error: null });
    const overall = evaluation.results.labelled.overall;
    expect(overall.queries).toBe(LABELLED);
    for (const metric of ['recall@1', 'recall@5', 'recall@10', 'mrr@10', 'ndcg@10']) expect(overall[metric]).toBeGreaterThan(0);
    expect(overall['recall@1']).toBeLessThanOrEqual(overall['recall@5']);
    expect(overall['recall@5']).toBeLessThanOrEqual(overall['recall@10']);
    // Each query is grouped under its answer's category (team-0 … team-6).
    expect(Object.keys(evaluation.results.labelled.byCategory).sort()).toEqual(Array.from({ length: 7 }, (_, i) => `team-${i}`));
    expect(await ledgerTokens('evaluation')).toBe(before + estimate.tokens);
    expect(evaluation.results.tokens).toBe(estimate.tokens);
    expect((await t.app.request('GET', '/api/v1/evaluations')).body.items[0].id).toBe(started.body.id);
  });

  it('holds the cutover of a worse model, and an admin cuts over only with a recorded reason', async () => {
    t.fake.configure({ modelNoise: { [SMALL]: SOME_NOISE, [ADA]: RUINOUS_NOISE } });
    const estimate = (await t.app.request('POST', '/api/v1/migrations/estimate', { body: { fromModel: SMALL, toModel: ADA } })).body;
    expect(estimate.qualityGate).toMatchObject({ labelledQueries: LABELLED, warning: null });
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, autoCutover: true });
    expect(await untilState(t.app, id, 'ready')).toBe(true);
    const held = (await t.app.request('GET', `/api/v1/migrations/${id}`)).body;
    expect(held.gate).toMatchObject({ metric: 'recall@10', margin: 0.01, verdict: 'held' });
    expect(held.gate.target.scores['recall@10']).toBeLessThan(held.gate.source.scores['recall@10'] - 0.01);
    expect(held.gate.difference).toBeLessThan(-0.01);
    expect((await t.app.request('POST', '/api/v1/search', { body: { query: labelledQuery(3).query } })).body.model).toBe(SMALL);
    // Query capture is opt-in (EVALUATION_CAPTURE_QUERIES): off here, so the search left no trace.
    expect(await countRows(t.db, `SELECT count(*) FROM captured_queries`)).toBe(0);

    const refused = await admin('POST', `/api/v1/migrations/${id}/cutover`, {});
    expect(refused).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/^reason: required to cut over a migration the quality gate held/) },
    });
    const reason = 'accepted after review: the new model is cheaper';
    const cutOver = await admin('POST', `/api/v1/migrations/${id}/cutover`, { reason });
    expect(cutOver).toMatchObject({ status: 200, body: { state: 'cut_over', cutoverReason: reason } });

    expect((await admin('POST', `/api/v1/migrations/${id}/rollback`)).status).toBe(200);
    expect((await admin('POST', `/api/v1/migrations/${id}/cleanup`)).status).toBe(202);
    await waitFor(async () => (await t.app.request('GET', `/api/v1/migrations/${id}`)).body.cleanedAt !== null, 60_000, 100);
  });

  it('cuts a better model over by itself, the verdict and both evaluations on the migration', async () => {
    t.fake.configure({ modelNoise: { [SMALL]: SOME_NOISE, [ADA]: 0 } });
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, autoCutover: true });
    expect(await untilState(t.app, id, 'cut_over')).toBe(true);
    const migration = (await t.app.request('GET', `/api/v1/migrations/${id}`)).body;
    expect(migration.gate).toMatchObject({ verdict: 'passed', source: { model: SMALL }, target: { model: ADA } });
    expect(migration.gate.target.scores['recall@10']).toBeGreaterThanOrEqual(migration.gate.source.scores['recall@10'] - 0.01);
    expect(migration.cutoverReason).toBeNull();
    for (const side of [migration.gate.source, migration.gate.target]) {
      expect((await t.app.request('GET', `/api/v1/evaluations/${side.evaluationId}`)).body).toMatchObject({ status: 'completed', migrationId: id });
    }
  });

  it('refuses a bad gate setting, naming the field', async () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ metric: 'precision@3' }, /^gate\.metric: /],
      [{ margin: 2 }, /^gate\.margin: /],
    ];
    for (const [gate, message] of bad) {
      const response = await admin('POST', '/api/v1/migrations', { fromModel: ADA, toModel: SMALL, gate });
      expect({ gate, status: response.status, message: response.body.message }).toEqual({
        gate,
        status: 400,
        message: expect.stringMatching(message),
      });
    }
  });
});
