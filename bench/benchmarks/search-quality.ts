import { SEARCH_MODES, type SearchMode } from '../../src/search/search-mode';
import { meanRetrievalScores, type RankedQuery } from '../../src/search/retrieval-metrics';
import { type Benchmark, round, scaled } from '../support/benchmark';
import { type BenchService, withBenchService } from '../support/bench-service';
import { loadLabelledSearchSets } from '../support/labelled-search-sets';
import { sharedDataDir } from '../support/quora-question-pairs';

const K = 10;
const BULK = 1_000;

/**
 * `search-quality`: recall@10 and MRR@10 of vector, lexical and hybrid search on the labelled
 * sets of shared/data, through the API. The vector side runs on the offline feature-hashing
 * model (no provider): it measures the plumbing and lexical overlap, not semantics.
 */
export const searchQualityBenchmark: Benchmark = {
  name: 'search-quality',
  description:
    'recall@10 and MRR@10 of vector (offline hashing model: lexical features, not semantic), lexical and hybrid search on the shared labelled sets.',
  async run({ scale, log }) {
    const dataDir = sharedDataDir();
    const sets = dataDir ? loadLabelledSearchSets(dataDir) : [];
    if (sets.length === 0) return { figures: {}, notes: { skipped: 'no labelled sets found in shared/data' } };
    const figures: Record<string, number> = {};
    const notes: Record<string, string> = {
      model: 'offline-hashing-v1 (384-d feature hashing of words): vector figures measure the pipeline and word overlap, not semantic quality',
    };
    for (const set of sets) {
      const queries = set.queries.filter((query) => query.text.trim()).slice(0, scaled(1_000, scale, 50));
      const pairs = set.pairs.map((pair) => ({ ...pair, question: pair.question.trim() || '-', answer: pair.answer.trim() || '-' }));
      await withBenchService(
        'search_quality',
        { OPENAI_API_KEY: '', EMBEDDING_MODEL: 'offline-hashing-v1', SEARCH_CACHE_TTL_S: '0' },
        async (service) => {
          const ids = await loadPairs(service, pairs);
          await service.waitForCount(`SELECT count(*) FROM embeddings`, ids.length);
          for (const mode of SEARCH_MODES) {
            const started = performance.now();
            const ranked: RankedQuery[] = [];
            for (const query of queries) {
              const response = await service.request<{ mode: SearchMode; results: Array<{ id: string }> }>('POST', '/api/v1/search', {
                query: query.text.slice(0, 8_000),
                limit: K,
                mode,
              });
              if (response.mode !== mode) throw new Error(`asked for ${mode}, answered ${response.mode}`);
              ranked.push({ ranked: response.results.map((hit) => hit.id), relevant: new Set(query.relevant.map((at) => ids[at])) });
            }
            const seconds = (performance.now() - started) / 1000;
            const scores = meanRetrievalScores(ranked, K);
            figures[`${set.name}_${mode}_recall_at_10`] = round(scores.recall, 4);
            figures[`${set.name}_${mode}_mrr_at_10`] = round(scores.mrr, 4);
            figures[`${set.name}_${mode}_queries_per_s`] = round(queries.length / seconds, 1);
            log(`${set.name} ${mode}: recall@10 ${round(scores.recall, 4)}, MRR@10 ${round(scores.mrr, 4)} over ${queries.length} queries`);
          }
        },
      );
      figures[`${set.name}_entries`] = pairs.length;
      figures[`${set.name}_queries`] = queries.length;
      notes[set.name] = set.source;
    }
    return { figures, notes };
  },
};

async function loadPairs(service: BenchService, pairs: Array<{ question: string; answer: string; category: string }>): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < pairs.length; i += BULK) {
    const items = pairs
      .slice(i, i + BULK)
      .map((pair) => ({ question: pair.question.slice(0, 4_000), answer: pair.answer.slice(0, 20_000), category: pair.category.slice(0, 100) }));
    const created = await service.request<{ items: Array<{ id: string }> }>('POST', '/api/v1/qa-pairs/bulk', { items });
    ids.push(...created.items.map((item) => item.id));
  }
  return ids;
}
