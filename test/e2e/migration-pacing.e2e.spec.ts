import type { MigrationDto, MigrationPacingDto } from '../../src/model-migration/dto/migration.dto';
import { MIN_WINDOW_BATCHES, windowPairs } from '../../src/model-migration/migration-pacing';
import { ingestPairs, migrationPairs, startMigration } from '../support/migration-test-helpers';
import { ADMIN_KEY, waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';

const SMALL = 'text-embedding-3-small';
const ADA = 'text-embedding-ada-002';
const PAIRS = 1500;
const BATCH = 20;
const WINDOW_BATCHES = 10;
const BUDGET_MS = 300;
/** Every provider call waits this long: a vector search's query embedding is far over the budget; lexical searches are not. */
const PROVIDER_LATENCY_MS = 800;
const CLIENTS = 4;
/** The smallest window: a sixteenth of a batch, at least one pair. */
const FLOOR = windowPairs(MIN_WINDOW_BATCHES, BATCH);

/**
 * Pacing end to end: searches made slow (the provider's latency, the query cache off) while a
 * migration runs shrink its window to its floor; fast searches (lexical: no provider call)
 * grow it back to the maximum. The provider's latency, and few jobs per worker, keep the
 * migration running throughout.
 */
describe('migration pacing: the window follows search latency', () => {
  const t = useTestApp({
    env: {
      MIGRATION_TICK_MS: '100',
      MIGRATION_WINDOW_BATCHES: String(WINDOW_BATCHES),
      MIGRATION_PACING: 'true',
      MIGRATION_PACING_SEARCH_P99_MS: String(BUDGET_MS),
      // The absolute budget alone: no idle baseline to wait for.
      MIGRATION_PACING_SEARCH_P99_RATIO: '0',
      MIGRATION_PACING_WINDOW_MS: '3000',
      SEARCH_CACHE_TTL_S: '0',
      QUEUE_CONCURRENCY: String(BATCH),
      QUEUE_BATCH_MAX_INPUTS: String(BATCH),
    },
  });

  beforeAll(() => ingestPairs(t.app, t.db, migrationPairs(PAIRS, 'pacing'), SMALL));

  it('halves the window down to its floor while search p99 is over the budget, and grows it back once searches are fast', async () => {
    const pacingOf = async (id: string): Promise<MigrationPacingDto | null> =>
      (await t.app.request<MigrationDto>('GET', `/api/v1/migrations/${id}`)).body.pacing ?? null;
    const statuses: number[] = [];
    let mode: 'vector' | 'lexical' = 'vector';
    let stop = false;
    const clients = Array.from({ length: CLIENTS }, async (_, client) => {
      for (let i = 0; !stop; i++) {
        const query = `how do I set up integration ${client * 10_000 + i} for team ${i % 29}`;
        statuses.push((await t.app.request('POST', '/api/v1/search', { body: { query, limit: 5, mode } })).status);
      }
    });

    try {
      t.fake.configure({ latency: { ms: PROVIDER_LATENCY_MS } });
      const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, batchSize: BATCH, autoCutover: false });
      const first = await waitFor(() => pacingOf(id), 30_000, 100);
      expect(first).toMatchObject({ enabled: true, maxWindowSize: BATCH * WINDOW_BATCHES, budgetMs: BUDGET_MS });

      // Slow: every vector search waits for the provider.
      const seen = new Set<number>();
      const shrunk = await waitFor(
        async () => {
          const pacing = await pacingOf(id);
          if (pacing) seen.add(pacing.windowSize);
          return pacing?.windowSize === FLOOR ? pacing : null;
        },
        60_000,
        50,
      );
      expect(shrunk.searchP99Ms).toBeGreaterThan(BUDGET_MS);
      expect(shrunk.searchSamples).toBeGreaterThan(0);
      // Between the floor and the maximum, never zero.
      for (const size of seen) expect(size >= FLOOR && size <= BATCH * WINDOW_BATCHES).toBe(true);
      const metrics = (await t.app.request('GET', '/metrics')).body as string;
      expect(metrics).toContain(`embsvc_migration_window_size{migration="${id}"} ${FLOOR}`);
      expect(metrics).toContain(`embsvc_migration_pacing_budget_ms{migration="${id}"} ${BUDGET_MS}`);
      expect((await t.app.request<MigrationDto>('GET', `/api/v1/migrations/${id}`)).body.state).toBe('running');

      // Fast: lexical searches never call the provider; once the slow ones leave the measuring window, it grows back.
      mode = 'lexical';
      const grown = await waitFor(
        async () => {
          const pacing = await pacingOf(id);
          return pacing?.windowSize === BATCH * WINDOW_BATCHES ? pacing : null;
        },
        60_000,
        50,
      );
      expect(grown.searchP99Ms).not.toBeNull();
      expect(grown.searchP99Ms!).toBeLessThanOrEqual(BUDGET_MS);
      expect((await t.app.request<MigrationDto>('GET', `/api/v1/migrations/${id}`)).body.state).toBe('running');

      const cancelled = await t.app.request('POST', `/api/v1/migrations/${id}/cancel`, { key: ADMIN_KEY });
      expect(cancelled.body).toMatchObject({ state: 'cancelled', pacing: null });
    } finally {
      stop = true;
      await Promise.all(clients);
      t.fake.reset();
    }
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
  });
});
