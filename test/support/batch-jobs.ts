import type { EmbeddingJobData } from '../../src/queue/embedding-job';
import type { TestContext } from './test-context';

/** Ingest jobs for stored pairs, as the queue hands them to `BatchEmbedder.process`. */
export function ingestJobs(rows: Array<{ id: string; content_hash: string }>, model: string): EmbeddingJobData[] {
  return rows.map((row) => ({ qaPairId: row.id, contentHash: row.content_hash, model, purpose: 'ingest', priority: 50 }));
}

/**
 * Creates `count` pairs through the API, questions `<tag> question <i>?` and answers of
 * `wordsPerAnswer` words, and returns their ingest jobs in question order.
 */
export async function createPairsAsJobs(
  t: TestContext,
  model: string,
  tag: string,
  count: number,
  wordsPerAnswer: number,
): Promise<EmbeddingJobData[]> {
  const items = Array.from({ length: count }, (_, i) => ({
    question: `${tag} question ${i}?`,
    answer: Array.from({ length: wordsPerAnswer }, (_, w) => `word${(i * 7 + w) % 97}`).join(' '),
  }));
  const created = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } });
  if (created.status !== 201) throw new Error(`bulk create answered ${created.status}: ${JSON.stringify(created.body)}`);
  const rows: Array<{ id: string; content_hash: string }> = await t.db.query(
    `SELECT id, content_hash FROM qa_pairs WHERE question LIKE $1 ORDER BY question`,
    [`${tag} %`],
  );
  return ingestJobs(rows, model);
}
