import { waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

const PAIRS = 600;
const KILLS = 6;

/**
 * Workers SIGKILLed again and again during an ingest, while calls are at the provider:
 * every token the provider billed is in the ledger (confirmed, or unconfirmed for the calls
 * whose answer died with their worker), and the only pairs bought twice are those in calls
 * in flight at a kill. The fake, like the real API, finishes and bills a request whose
 * caller died (`abandoned`).
 */
describe('workers killed repeatedly during an ingest: the ledger holds every billed token', () => {
  const t = useTestApp({
    env: {
      ROLE: 'api',
      QUEUE_LOCK_DURATION_MS: '2000',
      QUEUE_STALLED_INTERVAL_MS: '1000',
      QUEUE_BATCH_MAX_INPUTS: '20',
      QUEUE_CONCURRENCY: '20',
      // A job may be in flight at several kills: it must not run out of attempts (stalls spend them).
      QUEUE_MAX_ATTEMPTS: '20',
    },
  });

  const embedded = () => countRows(t.db, `SELECT count(*) FROM embeddings`);

  it('fake billed tokens = ledger confirmed + unconfirmed tokens; purchases beyond the first ≤ inputs in flight at the kills', async () => {
    t.fake.configure({ latency: { ms: 400, jitterMs: 400 } });
    const items = Array.from({ length: PAIRS }, (_, i) => ({ question: `Killed again ${i}?`, answer: `Pair ${i} is paid for once.` }));
    expect((await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } })).status).toBe(201);

    const inFlightAtKills = new Set<string>();
    for (let kill = 0; kill < KILLS; kill++) {
      const before = await embedded();
      const worker = await t.startProcess();
      // Let it store some work, then kill it while calls are at the provider.
      await waitFor(async () => (await embedded()) > before && t.fake.stats().inFlight > 0, 60_000, 20);
      await worker.kill();
      const unconfirmed: Array<{ id: string }> = await t.db.query(`SELECT id FROM provider_calls WHERE status = 'unconfirmed'`);
      for (const { id } of unconfirmed) inFlightAtKills.add(id);
    }
    expect(await embedded()).toBeLessThan(PAIRS);

    t.fake.configure({ latency: { ms: 0, jitterMs: 0 } });
    // Jobs held by a killed worker come back through Bull's stall check (they have attempts to
    // spare, see QUEUE_MAX_ATTEMPTS above); the reconciler enqueues whatever is still pending.
    await t.startProcess({ ROLE: 'worker,scheduler', RECONCILE_INTERVAL_MS: '2000' });
    await waitFor(async () => (await embedded()) === PAIRS, 120_000, 200).catch(async (error) => {
      const state = {
        embedded: await embedded(),
        deadLetters: await t.db.query(`SELECT error_kind, last_error, count(*)::int AS n FROM dead_letters GROUP BY 1, 2`),
        calls: await t.db.query(`SELECT status, count(*)::int AS n FROM provider_calls GROUP BY 1`),
        fake: { requests: t.fake.stats().requests, byStatus: t.fake.stats().byStatus },
        queue: (await t.app.request('GET', '/api/v1/queue/stats')).body,
      };
      throw new Error(`${error.message}: ${JSON.stringify(state)}`);
    });
    // The last worker's calls are all settled once everything is stored.
    await waitFor(
      async () => (await countRows(t.db, `SELECT count(*) FROM provider_calls WHERE status = 'unconfirmed'`)) === inFlightAtKills.size,
      10_000,
      50,
    );

    const [ledger] = await t.db.query(`
      SELECT COALESCE(sum(l.billed_tokens) FILTER (WHERE c.status = 'confirmed'), 0)::int AS confirmed,
             COALESCE(sum(l.billed_tokens) FILTER (WHERE c.status = 'unconfirmed'), 0)::int AS unconfirmed
      FROM usage_ledger l JOIN provider_calls c ON c.id = l.call_id`);
    // What the fake billed: every 200 it processed, delivered or abandoned by a dead worker.
    const stats = t.fake.stats();
    expect(stats.abandoned.tokens).toBeGreaterThan(0);
    expect(ledger.confirmed + ledger.unconfirmed).toBe(stats.tokens);
    expect(ledger.unconfirmed).toBeGreaterThan(0);

    // Purchases beyond the first, per pair (a pair in flight at two kills was bought three times).
    const [twice] = await t.db.query(`
      SELECT COALESCE(sum(n - 1), 0)::int AS pairs FROM (SELECT count(*) AS n FROM usage_ledger GROUP BY qa_pair_id) AS d`);
    const [inFlight] = await t.db.query(`SELECT COALESCE(sum(inputs), 0)::int AS inputs FROM provider_calls WHERE id = ANY($1::uuid[])`, [
      [...inFlightAtKills],
    ]);
    expect(twice.pairs).toBeLessThanOrEqual(inFlight.inputs);
    expect(
      await countRows(t.db, `SELECT count(*) FROM qa_pairs q JOIN embeddings e ON e.qa_pair_id = q.id AND e.content_hash = q.content_hash`),
    ).toBe(PAIRS);
    expect(await countRows(t.db, `SELECT count(*) FROM dead_letters`)).toBe(0);
    console.log(
      `kills: ${KILLS}; in flight at the kills: ${inFlight.inputs} inputs in ${inFlightAtKills.size} calls; ` +
        `purchases beyond the first: ${twice.pairs}; ledger tokens confirmed ${ledger.confirmed} + unconfirmed ${ledger.unconfirmed}; fake billed ${stats.tokens} (abandoned ${stats.abandoned.tokens})`,
    );
  }, 300_000);
});
