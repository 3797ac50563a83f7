import { GATE_RETRY_MS } from '../../src/model-migration/quality-gate';
import { ingestPairs, migrationPairs, startMigration, untilState } from '../support/migration-test-helpers';
import { ADMIN_KEY, waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

const SMALL = 'text-embedding-3-small';
const ADA = 'text-embedding-ada-002';
const PAIRS = 100;

/**
 * The provider down when a filled migration's quality gate should judge it: nothing is cut
 * over unjudged, the gate tries again only after GATE_RETRY_MS (one failed evaluation per
 * try, not one per scheduler tick), and judges once the provider is back.
 */
describe('quality gate during a provider outage', () => {
  const t = useTestApp({ env: { MIGRATION_TICK_MS: '100', BREAKER_RECOVERY_TIMEOUT_MS: '500', SEARCH_EF_SEARCH: '1000' } });
  const migration = async (id: string) => (await t.app.request('GET', `/api/v1/migrations/${id}`)).body;
  const evaluations = (status: string, id: string) =>
    countRows(t.db, `SELECT count(*) FROM retrieval_evaluations WHERE migration_id = $1 AND status = $2`, [id, status]);

  beforeAll(async () => {
    const pairs = migrationPairs(PAIRS, 'outage');
    await ingestPairs(t.app, t.db, pairs, SMALL);
    // Fill the target once (nothing to judge by yet) and cancel: a second migration then finds it filled at its first step.
    const first = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, autoCutover: false });
    expect(await untilState(t.app, first, 'ready')).toBe(true);
    expect((await migration(first)).gate.verdict).toBe('no_labelled_queries');
    expect((await t.app.request('POST', `/api/v1/migrations/${first}/cancel`, { key: ADMIN_KEY })).status).toBe(200);
    const rows: Array<{ id: string; question: string }> = await t.db.query(`SELECT id, question FROM qa_pairs ORDER BY question LIMIT 20`);
    const content = rows.map((row) => JSON.stringify({ query: row.question.replace('outage: ', ''), relevantPairIds: [row.id] })).join('\n');
    expect((await t.app.request('POST', '/api/v1/evaluation/queries/import', { body: { format: 'jsonl', content } })).status).toBe(201);
  });

  it('holds the migration unjudged while the provider is down, retrying after the delay, and judges once it is back', async () => {
    t.fake.configure({ outage: true });
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, autoCutover: true });
    await waitFor(async () => (await evaluations('failed', id)) >= 1, 10_000, 50);
    // Many scheduler ticks later, still within the retry delay: not cut over, no verdict, no second try.
    await new Promise((resolve) => setTimeout(resolve, Math.min(3_000, GATE_RETRY_MS / 2)));
    expect(await migration(id)).toMatchObject({ state: 'running', gate: { verdict: null } });
    expect(await evaluations('failed', id)).toBe(1);
    expect((await t.app.request('POST', '/api/v1/search', { body: { query: 'how do I set up integration 3' } })).body.model).toBe(SMALL);

    t.fake.configure({ outage: false });
    expect(await untilState(t.app, id, 'cut_over', GATE_RETRY_MS + 30_000)).toBe(true);
    expect((await migration(id)).gate).toMatchObject({ verdict: 'passed', source: { model: SMALL }, target: { model: ADA } });
    expect(await evaluations('completed', id)).toBe(2);
  });
});
