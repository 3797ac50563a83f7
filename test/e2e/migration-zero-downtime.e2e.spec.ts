import { embeddedUnder, ingestPairs, migrationPairs, startMigration, untilState } from '../support/migration-test-helpers';
import { waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

const SMALL = 'text-embedding-3-small';
const LARGE = 'text-embedding-3-large';

describe('zero-downtime migration: a client searching throughout', () => {
  const PAIRS = 2000;
  const QUERIES = ['set up integration 12', 'team 5 guide step', 'integrations number 700', 'how do I set up', 'follow step 3'];
  const t = useTestApp({ env: { MIGRATION_TICK_MS: '100' } });

  beforeAll(() => ingestPairs(t.app, t.db, migrationPairs(PAIRS, 'search'), SMALL));

  it('sees no error and consistent results (old model before the cutover, new after); live creates go first', async () => {
    const search = (query: string) => t.app.request('POST', '/api/v1/search', { body: { query, limit: 10 } });
    const idsOf = (body: { results: Array<{ id: string }> }) => body.results.map((hit) => hit.id).join(',');
    const before = new Map<string, string>();
    for (const query of QUERIES) before.set(query, idsOf((await search(query)).body));

    const seen: Array<{ query: string; status: number; model?: string; ids?: string; hits?: number }> = [];
    let stop = false;
    const client = (async () => {
      for (let i = 0; !stop; i++) {
        const query = QUERIES[i % QUERIES.length];
        const response = await search(query);
        seen.push({
          query,
          status: response.status,
          model: response.body?.model,
          ids: response.body?.results && idsOf(response.body),
          hits: response.body?.results?.length,
        });
      }
    })();

    const id = await startMigration(t.app, { fromModel: SMALL, toModel: LARGE, batchSize: 100 });
    // A pair created mid-migration (words no query shares, so the answers stay comparable) is
    // embedded for both models at live priority, ahead of the backfill.
    await waitFor(async () => (await embeddedUnder(t.db, LARGE)) > 0, 60_000);
    const live = await t.app.request('POST', '/api/v1/qa-pairs', { body: { question: 'Zebra okapi quokka?', answer: 'Tapir lemur narwhal.' } });
    expect(live.status).toBe(201);
    const liveEmbeddings = async () => {
      const rows: Array<{ name: string; embedded_at: Date }> = await t.db.query(
        `SELECT m.name, e.embedded_at FROM embeddings e JOIN embedding_models m ON m.id = e.model_id WHERE e.qa_pair_id = $1`,
        [live.body.id],
      );
      return rows.length === 2 ? rows : null;
    };
    const liveUnderLarge = (await waitFor(liveEmbeddings, 30_000)).find((row) => row.name === LARGE)!;
    await untilState(t.app, id, 'cut_over');
    const { filledAt } = (await t.app.request('GET', `/api/v1/migrations/${id}`)).body;
    expect(new Date(liveUnderLarge.embedded_at).getTime()).toBeLessThan(new Date(filledAt).getTime());
    const atCutover = seen.length;
    await waitFor(async () => seen.length >= atCutover + 20, 30_000);
    stop = true;
    await client;

    expect(seen.filter((s) => s.status !== 200)).toEqual([]);
    expect(seen.every((s) => s.hits === 10)).toBe(true);
    const firstNew = seen.findIndex((s) => s.model === LARGE);
    expect(firstNew).toBeGreaterThan(0);
    // One switch, never back: old model up to the cutover, new model from it on.
    expect(seen.slice(0, firstNew).every((s) => s.model === SMALL)).toBe(true);
    expect(seen.slice(firstNew).every((s) => s.model === LARGE)).toBe(true);
    // Old-model answers are what they were before the migration started; new-model answers agree with each other.
    for (const s of seen.slice(0, firstNew)) expect(s.ids).toBe(before.get(s.query));
    const after = new Map<string, string>();
    for (const query of QUERIES) after.set(query, idsOf((await search(query)).body));
    for (const s of seen.slice(firstNew)) expect(s.ids).toBe(after.get(s.query));
  });
});
