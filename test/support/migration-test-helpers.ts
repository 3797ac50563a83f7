import type { DataSource } from 'typeorm';
import { ADMIN_KEY, type TestApp, waitFor } from './test-app';

/** Distinct, searchable QA pairs. */
export function migrationPairs(count: number, tag: string) {
  return Array.from({ length: count }, (_, i) => ({
    question: `${tag}: how do I set up integration ${i} for team ${i % 29}?`,
    answer: `Go to integrations, pick number ${i}, and follow step ${i % 13} of the guide.`,
    category: `team-${i % 7}`,
  }));
}

/** Creates the pairs through the API and waits until all are embedded under `model`. */
export async function ingestPairs(app: TestApp, db: DataSource, items: ReturnType<typeof migrationPairs>, model: string): Promise<void> {
  for (let start = 0; start < items.length; start += 1000) {
    const response = await app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items: items.slice(start, start + 1000) } });
    if (response.status !== 201) throw new Error(`bulk create answered ${response.status}`);
  }
  await waitFor(async () => (await embeddedUnder(db, model)) === items.length, 90_000, 200);
}

export async function embeddedUnder(db: DataSource, model: string): Promise<number> {
  const [row] = await db.query(`SELECT count(*) AS n FROM embeddings e JOIN embedding_models m ON m.id = e.model_id WHERE m.name = $1`, [model]);
  return Number(row.n);
}

/** POST /migrations with the admin key; returns the migration id. */
export async function startMigration(app: TestApp, body: Record<string, unknown>): Promise<string> {
  const response = await app.request('POST', '/api/v1/migrations', { body, key: ADMIN_KEY });
  if (response.status !== 201) throw new Error(`start answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.id;
}

export async function migrationState(app: TestApp, id: string): Promise<string> {
  return (await app.request('GET', `/api/v1/migrations/${id}`)).body.state;
}

export function untilState(app: TestApp, id: string, state: string, timeoutMs = 120_000): Promise<boolean> {
  return waitFor(async () => (await migrationState(app, id)) === state, timeoutMs, 200);
}
