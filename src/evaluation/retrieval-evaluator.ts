import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EmbeddingClient } from '../embeddings/embedding-client';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { countTokens } from '../embeddings/tokenizer';
import { VectorSearch } from '../embeddings/vector-search';
import { normalizeQuery } from '../search/query-text';
import { CapturedQueries } from './captured-queries';
import { agreementScores, type ComparedQuery, retrievalScores, type ScoredQuery } from './evaluation-scores';
import type { EvaluationResults } from './evaluation-types';
import { type EvaluationQuery, LabelledQueries } from './labelled-queries';

const K = 10;
/** Queries embedded per `EmbeddingClient.embed` (which packs them into provider calls itself). */
const EMBED_CHUNK = 512;
/** Index searches at once: enough to hide round trips, few enough to leave the pool to live traffic. */
const SEARCH_CONCURRENCY = 4;

export interface EvaluationInputs {
  labelled: EvaluationQuery[];
  captured: Array<{ query: string; category: string; filter: string | null }>;
}

/**
 * Runs an evaluation: embeds the queries (ledger purpose `evaluation`), searches the model's
 * own HNSW index top 10 as users' searches do, and scores: labelled queries against their
 * answers; captured queries against the baseline model's top 10 for the same query and
 * category filter. Texts are normalised exactly as search normalises them.
 */
@Injectable()
export class RetrievalEvaluator {
  constructor(
    private readonly labelled: LabelledQueries,
    private readonly captured: CapturedQueries,
    private readonly client: EmbeddingClient,
    private readonly vectors: VectorSearch,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async inputs(withCaptured: boolean): Promise<EvaluationInputs> {
    const [labelled, captured] = await Promise.all([
      this.labelled.forEvaluation(this.config.evaluation.maxQueries),
      withCaptured ? this.captured.sample(this.config.evaluation.capturedSample) : Promise.resolve([]),
    ]);
    return { labelled, captured };
  }

  /** Local cl100k tokens the inputs cost to embed: labelled under the model, captured under both. */
  tokens(inputs: EvaluationInputs, baseline: boolean): number {
    const sum = (texts: string[]) => texts.reduce((total, text) => total + countTokens(normalizeQuery(text)), 0);
    return sum(inputs.labelled.map((q) => q.query)) + (baseline ? 2 : 0) * sum(inputs.captured.map((q) => q.query));
  }

  async run(
    model: EmbeddingModelEntity,
    baseline: EmbeddingModelEntity | null,
    inputs: EvaluationInputs,
    onProgress: (fraction: number) => void,
  ): Promise<EvaluationResults> {
    const started = Date.now();
    const captured = baseline ? inputs.captured : [];
    const steps = inputs.labelled.length + captured.length * 2;
    let done = 0;
    const advance = (n: number) => {
      done += n;
      onProgress(steps === 0 ? 1 : done / steps);
    };
    let tokens = 0;
    const rankings = async (on: EmbeddingModelEntity, queries: Array<{ query: string; filter?: string | null }>) => {
      const texts = queries.map((q) => normalizeQuery(q.query));
      const vectors: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += EMBED_CHUNK) {
        const items = texts.slice(start, start + EMBED_CHUNK).map((text) => ({ text, tokens: countTokens(text), purpose: 'evaluation' as const }));
        tokens += items.reduce((total, item) => total + item.tokens, 0);
        vectors.push(...(await this.client.embed(on, items)));
      }
      return mapWithConcurrency(vectors, SEARCH_CONCURRENCY, async (vector, index) => {
        const hits = await this.vectors.nearest(on, vector, K, queries[index].filter ?? undefined);
        advance(1);
        return hits.map((hit) => hit.id);
      });
    };

    let labelled: EvaluationResults['labelled'] = null;
    if (inputs.labelled.length > 0) {
      const ranked = await rankings(model, inputs.labelled);
      const scored: ScoredQuery[] = inputs.labelled.map((q, index) => ({
        category: q.category,
        ranked: ranked[index],
        relevant: new Set(q.relevantPairIds),
      }));
      labelled = retrievalScores(scored);
    }
    let agreement: EvaluationResults['captured'] = null;
    if (baseline && captured.length > 0) {
      const [ranked, before] = [await rankings(model, captured), await rankings(baseline, captured)];
      const compared: ComparedQuery[] = captured.map((q, index) => ({ category: q.category, ranked: ranked[index], baseline: before[index] }));
      agreement = agreementScores(compared);
    }
    return { labelled, captured: agreement, tokens, durationMs: Date.now() - started };
  }
}

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
