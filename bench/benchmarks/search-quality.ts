import { SEARCH_MODES, type SearchMode } from '../../src/search/search-mode';
import { meanRetrievalScores, type RankedQuery } from '../../src/evaluation/retrieval-metrics';
import { type Benchmark, round, scaled } from '../support/benchmark';
import { BENCH_ADMIN_KEY, type BenchService, withBenchService } from '../support/bench-service';
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
    'recall@10 and MRR@10 of vector (offline hashing model: lexical features, not semantic), lexical and hybrid search on the shared labelled sets; ' +
    'the same queries as labelled queries through an evaluation (its figures cross-check the vector mode) and the time it takes.',
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
          const evaluation = await evaluate(service, queries, ids);
          figures[`${set.name}_evaluation_recall_at_10`] = evaluation.recall;
          figures[`${set.name}_evaluation_mrr_at_10`] = evaluation.mrr;
          figures[`${set.name}_evaluation_ndcg_at_10`] = evaluation.ndcg;
          figures[`${set.name}_evaluation_queries`] = evaluation.queries;
          figures[`${set.name}_evaluation_seconds`] = evaluation.seconds;
          log(
            `${set.name} evaluation: ${evaluation.queries} labelled queries in ${evaluation.seconds} s, recall@10 ${evaluation.recall}, MRR@10 ${evaluation.mrr}`,
          );
        },
      );
      figures[`${set.name}_entries`] = pairs.length;
      figures[`${set.name}_queries`] = queries.length;
      notes[set.name] = set.source;
    }
    // The evaluation's time through the OpenAI SDK and the fake provider (0 ms latency), on the set with the most queries.
    const largest = [...sets].sort((a, b) => b.queries.length - a.queries.length)[0];
    const queries = largest.queries.filter((query) => query.text.trim()).slice(0, scaled(1_000, scale, 50));
    const pairs = largest.pairs.map((pair) => ({ ...pair, question: pair.question.trim() || '-', answer: pair.answer.trim() || '-' }));
    await withBenchService('search_quality_fake', { SEARCH_CACHE_TTL_S: '0' }, async (service) => {
      const ids = await loadPairs(service, pairs);
      await service.waitForCount(`SELECT count(*) FROM embeddings`, ids.length);
      const evaluation = await evaluate(service, queries, ids, 'text-embedding-3-small');
      figures.evaluation_seconds_fake_provider = evaluation.seconds;
      figures.evaluation_queries_fake_provider = evaluation.queries;
      notes.evaluation_fake_provider = `${largest.name}: text-embedding-3-small through the OpenAI SDK and the fake provider at 0 ms`;
      log(`${largest.name} evaluation through the fake provider: ${evaluation.queries} queries in ${evaluation.seconds} s`);
    });
    return { figures, notes };
  },
};

/**
 * The same queries as labelled queries (imported as JSON Lines), evaluated through the API:
 * its recall@10 and MRR@10 must match the vector mode's above (a cross-check of the evaluation
 * machinery), and the time from POST to completed is the evaluation's cost in time.
 */
async function evaluate(service: BenchService, queries: Array<{ text: string; relevant: number[] }>, ids: string[], model = 'offline-hashing-v1') {
  const seen = new Set<string>();
  const lines = queries
    .map((query) => ({ query: query.text.slice(0, 4_000).trim(), relevantPairIds: [...new Set(query.relevant.map((at) => ids[at]))].slice(0, 100) }))
    .filter((line) => line.relevantPairIds.length > 0 && !seen.has(line.query) && seen.add(line.query));
  await service.request('POST', '/api/v1/evaluation/queries/import', {
    format: 'jsonl',
    content: lines.map((line) => JSON.stringify(line)).join('\n'),
  });
  const started = performance.now();
  const { id } = await service.request<{ id: string }>('POST', '/api/v1/evaluations', { model }, BENCH_ADMIN_KEY);
  for (;;) {
    const evaluation = await service.request<{
      status: string;
      error: string | null;
      results: { labelled: { overall: Record<string, number> } } | null;
    }>('GET', `/api/v1/evaluations/${id}`);
    if (evaluation.status === 'completed') {
      const overall = evaluation.results!.labelled.overall;
      return {
        queries: overall.queries,
        recall: overall['recall@10'],
        mrr: overall['mrr@10'],
        ndcg: overall['ndcg@10'],
        seconds: round((performance.now() - started) / 1000, 2),
      };
    }
    if (evaluation.status !== 'running') throw new Error(`evaluation ${evaluation.status}: ${evaluation.error}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

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
