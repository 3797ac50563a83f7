import { createHash } from 'node:crypto';
import { EmbeddingStore } from '../../src/embeddings/embedding-store';
import { DeadLetterRecorder } from '../../src/queue/dead-letters/dead-letter-recorder';
import { countRows, useTestApp } from '../support/test-context';

/**
 * The guarded upsert clears dead letters only for the work it really wrote: an older
 * batch finishing after an edit (its write refused) must not erase the newer content's letter.
 */
describe('EmbeddingStore.upsert and dead letters', () => {
  const t = useTestApp({ env: { ROLE: 'api' } });
  const vector = () => Float32Array.from({ length: 1536 }, (_, i) => (i === 0 ? 1 : 0));
  const hash = (text: string) => createHash('sha256').update(text).digest('hex');

  async function pairEditedTo(newHash: string): Promise<{ id: string; oldHash: string; modelId: number }> {
    const created = await t.app.request('POST', '/api/v1/qa-pairs', { body: { question: `Edited later ${newHash}?`, answer: 'Before the edit.' } });
    expect(created.status).toBe(201);
    const [{ content_hash: oldHash }] = await t.db.query(`SELECT content_hash FROM qa_pairs WHERE id = $1`, [created.body.id]);
    // The edit (its own job for the new content is what gets dead-lettered below).
    await t.db.query(`UPDATE qa_pairs SET answer = 'After the edit.', content_hash = $2 WHERE id = $1`, [created.body.id, newHash]);
    const [{ id: modelId }] = await t.db.query(`SELECT id FROM embedding_models WHERE name = 'text-embedding-3-small'`);
    return { id: created.body.id, oldHash, modelId };
  }

  const letter = (qaPairId: string, modelId: number, contentHash: string) =>
    t.app.get(DeadLetterRecorder).record({
      qaPairId,
      modelId,
      contentHash,
      purpose: 'update',
      errorKind: 'exhausted',
      error: 'provider answered 500',
      attempts: 3,
    });

  it('keeps the dead letter of newer content when an older batch finishes and its write is refused', async () => {
    const newHash = hash('H2');
    const pair = await pairEditedTo(newHash);
    await letter(pair.id, pair.modelId, newHash);

    const written = await t.app
      .get(EmbeddingStore)
      .upsert(pair.modelId, [{ qaPairId: pair.id, contentHash: pair.oldHash, vector: vector(), tokens: 5 }]);

    expect(written.size).toBe(0);
    expect(await countRows(t.db, `SELECT count(*) FROM dead_letters WHERE qa_pair_id = $1 AND content_hash = $2`, [pair.id, newHash])).toBe(1);
    expect((await t.app.request('GET', `/api/v1/qa-pairs/${pair.id}`)).body.embedding.state).toBe('failed');
  });

  it('clears the letter of a pair it did write, and only that one', async () => {
    const written = await pairEditedTo(hash('written'));
    const refused = await pairEditedTo(hash('refused'));
    await letter(written.id, written.modelId, hash('written'));
    await letter(refused.id, refused.modelId, hash('refused'));

    const result = await t.app.get(EmbeddingStore).upsert(written.modelId, [
      { qaPairId: written.id, contentHash: hash('written'), vector: vector(), tokens: 5 },
      { qaPairId: refused.id, contentHash: refused.oldHash, vector: vector(), tokens: 5 },
    ]);

    expect([...result]).toEqual([written.id]);
    expect(await countRows(t.db, `SELECT count(*) FROM dead_letters WHERE qa_pair_id = $1`, [written.id])).toBe(0);
    expect(await countRows(t.db, `SELECT count(*) FROM dead_letters WHERE qa_pair_id = $1`, [refused.id])).toBe(1);
  });
});
