import { ingestPairs, migrationPairs, startMigration, untilState } from '../support/migration-test-helpers';
import { ADMIN_KEY, waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';
import { CapturedQueries } from '../../src/evaluation/captured-queries';

const SMALL = 'text-embedding-3-small';
const ADA = 'text-embedding-ada-002';
const PAIRS = 120;
const RETENTION_DAYS = 7;

/**
 * Live traffic feeding the evaluation: opted-in query capture (retention, admins only) and
 * shadow searches on a migration's target (recorded per migration, tokens under purpose
 * `shadow`, never in the user's way).
 */
describe('query capture and shadow searches', () => {
  const t = useTestApp({
    env: {
      MIGRATION_TICK_MS: '100',
      EVALUATION_CAPTURE_QUERIES: 'true',
      EVALUATION_CAPTURE_RETENTION_DAYS: String(RETENTION_DAYS),
      SEARCH_SHADOW_SHARE: '1',
      SEARCH_EF_SEARCH: '1000',
    },
  });
  const admin = (method: string, path: string) => t.app.request(method, path, { key: ADMIN_KEY });
  const search = (query: string, category?: string) => t.app.request('POST', '/api/v1/search', { body: { query, category } });
  const count = (sql: string, params: unknown[] = []) => countRows(t.db, sql, params);
  let migrationId: string;

  beforeAll(async () => {
    await ingestPairs(t.app, t.db, migrationPairs(PAIRS, 'shadow'), SMALL);
    migrationId = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, autoCutover: false });
    expect(await untilState(t.app, migrationId, 'ready')).toBe(true);
  });

  afterEach(() => t.fake.reset());

  it('captures searches when opted in, shows them to admins only, and keeps them for the retention period', async () => {
    expect((await search('how do I set up integration 4', 'team-4')).status).toBe(200);
    expect((await search('integration 9 guide')).status).toBe(200);
    await waitFor(async () => (await count(`SELECT count(*) FROM captured_queries`)) >= 2, 10_000, 50);
    // One captured long ago: past retention it is neither listed, nor compared, and a sweep removes it.
    await t.db.query(`INSERT INTO captured_queries (query, captured_at) VALUES ('an old query', now() - make_interval(days => $1))`, [
      RETENTION_DAYS + 1,
    ]);

    expect((await t.app.request('GET', '/api/v1/evaluation/captured-queries')).status).toBe(403);
    const listed = await admin('GET', '/api/v1/evaluation/captured-queries');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: { query: string; category: string | null }) => [item.query, item.category]).sort()).toEqual([
      ['how do I set up integration 4', 'team-4'],
      ['integration 9 guide', null],
    ]);
    // Evaluating the target compares it with the active model on the captured queries (within retention).
    const estimate = (await t.app.request('POST', '/api/v1/evaluations/estimate', { body: { model: ADA } })).body;
    expect(estimate).toMatchObject({ baselineModel: SMALL, capturedQueries: 2 });
    const started = await t.app.request('POST', '/api/v1/evaluations', { body: { model: ADA }, key: ADMIN_KEY });
    await waitFor(async () => (await t.app.request('GET', `/api/v1/evaluations/${started.body.id}`)).body.status !== 'running', 30_000, 100);
    const captured = (await t.app.request('GET', `/api/v1/evaluations/${started.body.id}`)).body.results.captured;
    expect(captured.overall.queries).toBe(2);
    expect(Object.keys(captured.byCategory).sort()).toEqual(['(none)', 'team-4']);
    // Same vectors behind both names (no noise): the target agrees with the active model (equal scores may swap places).
    expect(captured.overall.overlapAt10).toBe(1);
    expect(captured.overall.rankBiasedOverlap).toBeGreaterThan(0.95);

    // The sweep (run by captures, at most once a minute per process) deletes it.
    expect(await t.app.get(CapturedQueries).purge()).toBe(1);
    expect(await count(`SELECT count(*) FROM captured_queries WHERE query = 'an old query'`)).toBe(0);
    expect((await admin('DELETE', '/api/v1/evaluation/captured-queries')).body.deleted).toBe(2);
  });

  it('shadows live searches on the target, records their agreement and tokens, and never holds the answer for them', async () => {
    const shadowTokens = () => count(`SELECT coalesce(sum(tokens), 0) FROM usage_ledger WHERE purpose = 'shadow'`);
    const shadowed = async () => (await t.app.request('GET', `/api/v1/migrations/${migrationId}`)).body.shadow;
    const [before, tokensBefore] = [(await shadowed()).searches, await shadowTokens()];
    for (let i = 0; i < 5; i++) expect((await search(`how do I set up integration ${i * 7}`)).status).toBe(200);
    await waitFor(async () => (await shadowed()).searches >= before + 5, 10_000, 50);
    // Same vectors behind both names: the target's answers are the user's.
    const shadow = await shadowed();
    expect(shadow).toMatchObject({ searches: before + 5, meanOverlap: 1 });
    expect(shadow.meanRankBiasedOverlap).toBeGreaterThan(0.95);
    expect(await shadowTokens()).toBeGreaterThan(tokensBefore);

    // The answer does not wait for its shadow: the query's vector is cached, the provider
    // hangs every call, and the search answers while its shadow call is still hanging.
    const query = 'how do I set up integration 3';
    expect((await search(query)).status).toBe(200);
    await waitFor(() => Promise.resolve(t.fake.stats().inFlight === 0), 5_000, 20);
    t.fake.configure({ hang: { all: true } });
    const hungBefore = t.fake.stats().hung;
    const answered = await search(query);
    expect(answered).toMatchObject({ status: 200, body: { mode: 'vector', cached: true } });
    await waitFor(() => Promise.resolve(t.fake.stats().hung > hungBefore), 5_000, 20);
    expect(t.fake.stats().byModel[ADA]?.requests).toBeGreaterThan(0);
  });
});
