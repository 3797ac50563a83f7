import { CL100K_SPECIAL_TOKENS } from '../../src/embeddings/cl100k';
import { waitFor } from '../support/test-app';
import { countRows, useTestApp } from '../support/test-context';

const TOKENS = [...CL100K_SPECIAL_TOKENS, '<|im_start|>'];
const PAIRS = 60;

/**
 * Users' text holding `<|endoftext|>` and the other special tokens, against a provider that
 * answers 500 to such input (as OpenAI was reported to): the text is escaped on the way out,
 * so every pair embeds, every search is answered from its embedding, the breaker never moves,
 * the stored text is what the user wrote, and the ledger holds the tokens the provider billed.
 */
describe('special tokens in users’ text', () => {
  const t = useTestApp({ env: { BREAKER_FAILURE_THRESHOLD: '5', QUEUE_BATCH_MAX_INPUTS: '8' } });

  beforeAll(() => {
    t.fake.configure({ rejectSpecialTokens: true });
  });

  it('embeds pairs and answers searches that contain them, and the breaker stays closed', async () => {
    const items = Array.from({ length: PAIRS }, (_, i) => {
      const token = TOKENS[i % TOKENS.length];
      return i % 4 === 3
        ? { question: `Plain question ${i} about refunds?`, answer: `Plain answer ${i}.` }
        : { question: `How do I write ${token} in question ${i}?`, answer: `Type ${token}${token} literally, case ${i}.` };
    });
    const created = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items } });
    expect(created.status).toBe(201);
    await waitFor(async () => (await countRows(t.db, `SELECT count(*) AS n FROM embeddings`)) === PAIRS, 30_000, 100);
    expect(await countRows(t.db, `SELECT count(*) AS n FROM dead_letters`)).toBe(0);

    const stored = await t.db.query(`SELECT question, answer FROM qa_pairs WHERE strpos(question, '<|endoftext|>') > 0 ORDER BY question LIMIT 1`);
    expect(stored[0].question).toMatch(/^How do I write <\|endoftext\|> in question \d+\?$/);
    expect(stored[0].answer).toMatch(/^Type <\|endoftext\|><\|endoftext\|> literally/);

    for (let i = 0; i < 10; i++) {
      const token = TOKENS[i % TOKENS.length];
      const response = await t.app.request('POST', '/api/v1/search', { body: { query: `${token} how do I write ${token} (${i})?` } });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ mode: 'vector', degradedReason: null });
    }

    const stats = t.fake.stats();
    expect(stats.byStatus['500'] ?? 0).toBe(0);
    expect(await t.app.request('GET', '/api/v1/circuit-breakers/openai')).toMatchObject({
      body: { state: 'closed', consecutiveFailures: 0, lastError: null },
    });
    // The counts used for packing, budgets and the ledger are those of the text sent and billed.
    expect(await countRows(t.db, `SELECT coalesce(sum(tokens), 0) AS n FROM usage_ledger`)).toBe(stats.tokens);
  });
});
