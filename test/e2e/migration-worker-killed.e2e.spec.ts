import { embeddedUnder, ingestPairs, migrationPairs, migrationState, startMigration, untilState } from '../support/migration-test-helpers';
import type { ServiceProcess } from '../support/service-process';
import { TestApp, waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

const SMALL = 'text-embedding-3-small';
const ADA = 'text-embedding-ada-002';

describe('migration with its worker SIGKILLed mid-way', () => {
  const PAIRS = 1500;
  // This process serves the API and drives the migration; the embedding happens in child workers.
  const t = useTestApp({
    env: {
      ROLE: 'api,scheduler',
      MIGRATION_TICK_MS: '100',
      // A killed worker's jobs come back through Bull's stall check within seconds (not so
      // short that a busy machine's event-loop lag lets a live worker's lock lapse).
      QUEUE_LOCK_DURATION_MS: '5000',
      QUEUE_STALLED_INTERVAL_MS: '2000',
      QUEUE_CONCURRENCY: '100',
      QUEUE_BATCH_MAX_INPUTS: '50',
    },
  });
  let firstWorker: ServiceProcess;

  beforeAll(async () => {
    firstWorker = await t.startProcess();
    await ingestPairs(t.app, t.db, migrationPairs(PAIRS, 'crash'), SMALL);
  });

  it('completes after the worker and the scheduler restart, and nothing is embedded twice', async () => {
    const id = await startMigration(t.app, { fromModel: SMALL, toModel: ADA, batchSize: 50 });
    await waitFor(async () => (await embeddedUnder(t.db, ADA)) >= PAIRS / 5, 60_000, 50);

    // Kill while batches wait at the provider (taken from the queue, not yet answered) and no
    // answered batch is between its upsert and its confirmation.
    t.fake.configure({ latency: { ms: 1500, jitterMs: 0 } });
    const paidFor = () =>
      countRows(
        t.db,
        `SELECT count(*) AS n FROM usage_ledger l JOIN embedding_models m ON m.id = l.model_id
                       JOIN provider_calls c ON c.id = l.call_id AND c.status = 'confirmed' WHERE m.name = $1`,
        [ADA],
      );
    await waitFor(async () => t.fake.stats().inFlight > 0 && (await paidFor()) === (await embeddedUnder(t.db, ADA)), 30_000, 5);
    await firstWorker.kill();
    expect(await embeddedUnder(t.db, ADA)).toBeLessThan(PAIRS);
    expect(await migrationState(t.app, id)).toBe('running');
    // The scheduler that drove it goes too: its successor carries on from the cursor in Postgres.
    await t.app.close();
    t.app = await TestApp.start(t.environment, { ROLE: 'api,scheduler' });

    t.fake.configure({ latency: { ms: 0, jitterMs: 0 } });
    await t.startProcess();
    await untilState(t.app, id, 'cut_over');

    const [ledger] = await t.db.query(
      `SELECT count(DISTINCT l.qa_pair_id) AS pairs, count(*) AS rows
       FROM usage_ledger l JOIN embedding_models m ON m.id = l.model_id
       JOIN provider_calls c ON c.id = l.call_id AND c.status = 'confirmed' -- the killed calls stay unconfirmed
       WHERE m.name = $1 AND l.purpose = 'migration'`,
      [ADA],
    );
    expect({ pairs: Number(ledger.pairs), rows: Number(ledger.rows) }).toEqual({ pairs: PAIRS, rows: PAIRS });
    // Only the calls in flight at the kill were bought again: billed, their answers lost with the
    // worker (abandoned, or delivered to a process about to die), they stay unconfirmed spend.
    const billed = t.fake.stats().byModel[ADA]?.inputs ?? 0;
    const inFlightAtKill = await countRows(
      t.db,
      `SELECT COALESCE(sum(c.inputs), 0) FROM provider_calls c JOIN embedding_models m ON m.id = c.model_id
       WHERE m.name = $1 AND c.status = 'unconfirmed'`,
      [ADA],
    );
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(billed - PAIRS).toBeGreaterThanOrEqual(t.fake.stats().abandoned.inputs);
    expect(billed - PAIRS).toBeLessThanOrEqual(inFlightAtKill);
    const [current] = await t.db.query(
      `SELECT count(*) AS n FROM embeddings e JOIN qa_pairs q ON q.id = e.qa_pair_id AND q.content_hash = e.content_hash
       JOIN embedding_models m ON m.id = e.model_id WHERE m.name = $1`,
      [ADA],
    );
    expect(Number(current.n)).toBe(PAIRS);
    const search = await t.app.request('POST', '/api/v1/search', { body: { query: 'set up integration 4' } });
    expect(search.body.model).toBe(ADA);
  });
});
