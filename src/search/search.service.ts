import { Inject, Injectable } from '@nestjs/common';
import { badRequest } from '../common/errors';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { QueryCacheSavingsService } from '../cost-analytics/query-cache/query-cache-savings.service';
import { EmbeddingClient } from '../embeddings/embedding-client';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { countTokens } from '../embeddings/tokenizer';
import { type VectorHit, VectorSearch } from '../embeddings/vector-search';
import { degradedReason, QueryEmbeddingTimeout } from './degraded-reason';
import type { SearchHitDto, SearchRequestDto, SearchResponseDto } from './dto/search.dto';
import { type LexicalHit, LexicalSearch } from './lexical-search';
import { QueryEmbeddingCache } from './query-embedding-cache';
import { normalizeQuery } from './query-text';
import { fuseByReciprocalRank } from './reciprocal-rank-fusion';
import { SearchEvents } from './search-events';
import { SearchMetrics } from './search.metrics';
import { ATTR } from '../tracing/semconv';
import { inSpan } from '../tracing/spans';

/** How many candidates each side brings to a hybrid fusion, at least. */
const HYBRID_CANDIDATES = 50;

type QueryVector = { vector: Float32Array; tokens: number; cached: boolean } | { degradedReason: string };

/**
 * Search in three modes over the active model's embeddings and the lexical index. A
 * vector or hybrid search whose query cannot be embedded (breaker open, rate limit,
 * credentials refused, provider failing or too slow) answers from the lexical index and
 * says so: PostgreSQL can still answer while the provider cannot.
 */
@Injectable()
export class SearchService {
  constructor(
    private readonly models: EmbeddingModelsService,
    private readonly client: EmbeddingClient,
    private readonly vectors: VectorSearch,
    private readonly lexical: LexicalSearch,
    private readonly cache: QueryEmbeddingCache,
    private readonly savings: QueryCacheSavingsService,
    private readonly metrics: SearchMetrics,
    private readonly events: SearchEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Traced as `search`: mode asked and answered, model, query tokens spent, cache hit, degraded reason, results. */
  search(request: SearchRequestDto): Promise<SearchResponseDto> {
    return inSpan('search', {}, async (span) => {
      const response = await this.answer(request);
      span.setAttributes({
        [ATTR.searchRequestedMode]: response.requestedMode,
        [ATTR.searchMode]: response.mode,
        [ATTR.model]: response.model,
        [ATTR.searchQueryTokens]: response.queryTokens,
        [ATTR.searchCached]: response.cached,
        [ATTR.searchResults]: response.results.length,
        ...(response.degradedReason && { [ATTR.searchDegradedReason]: response.degradedReason }),
      });
      return response;
    });
  }

  private async answer(request: SearchRequestDto): Promise<SearchResponseDto> {
    const requestedMode = request.mode ?? this.config.search.defaultMode;
    const model = await this.models.getActive();
    const query = normalizeQuery(request.query);
    const base = { model: model.name, requestedMode };
    const answer = (response: SearchResponseDto) => this.answered(response, query, request, model.id);
    if (requestedMode === 'lexical') {
      return answer({
        ...base,
        mode: 'lexical',
        degradedReason: null,
        queryTokens: 0,
        cached: false,
        results: await this.lexicalHits(query, request),
      });
    }
    const embedded = await this.embedQuery(model, query);
    if ('degradedReason' in embedded) {
      this.metrics.degraded.inc({ reason: embedded.degradedReason });
      const results = await this.lexicalHits(query, request);
      return answer({ ...base, mode: 'lexical', degradedReason: embedded.degradedReason, queryTokens: 0, cached: false, results });
    }
    const spent = { queryTokens: embedded.cached ? 0 : embedded.tokens, cached: embedded.cached };
    if (requestedMode === 'vector') {
      const hits = await this.vectors.nearest(model, embedded.vector, request.limit, request.category);
      return answer({ ...base, mode: 'vector', degradedReason: null, ...spent, results: hits.map(vectorResult) });
    }
    return answer({
      ...base,
      mode: 'hybrid',
      degradedReason: null,
      ...spent,
      results: await this.hybridHits(model, embedded.vector, query, request),
    });
  }

  private answered(response: SearchResponseDto, query: string, request: SearchRequestDto, modelId: number): SearchResponseDto {
    this.metrics.searches.inc({ mode: response.mode });
    this.events.emitAnswered({
      query,
      category: request.category,
      mode: response.mode,
      modelId,
      limit: request.limit,
      resultIds: response.results.map((hit) => hit.id),
    });
    return response;
  }

  /** The query's vector from the cache or the provider, or why it cannot be had now. */
  private async embedQuery(model: EmbeddingModelEntity, query: string): Promise<QueryVector> {
    const tokens = countTokens(query);
    if (tokens > model.maxInputTokens) {
      throw badRequest('query', `has ${tokens} tokens; ${model.name} takes at most ${model.maxInputTokens}`);
    }
    const cached = await this.cache.get(model.id, query);
    if (cached && cached.length === model.dimensions) {
      this.metrics.queryCache.inc({ result: 'hit' });
      this.savings.record(model.id, tokens);
      return { vector: cached, tokens, cached: true };
    }
    if (this.cache.enabled) this.metrics.queryCache.inc({ result: 'miss' });
    try {
      // Query embeddings are not queued: a search waits for its own vector, up to the search timeout.
      const [vector] = await this.withinSearchTimeout(this.client.embed(model, [{ text: query, tokens, purpose: 'search' }]));
      void this.cache.put(model.id, query, vector);
      return { vector, tokens, cached: false };
    } catch (error) {
      const reason = degradedReason(error);
      if (reason === undefined) throw error;
      return { degradedReason: reason };
    }
  }

  private async withinSearchTimeout<T>(call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueryEmbeddingTimeout()), this.config.search.embedTimeoutMs);
    });
    // The call goes on in the background when it loses the race; its tokens still reach the ledger.
    call.catch(() => undefined);
    try {
      return await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async lexicalHits(query: string, request: SearchRequestDto): Promise<SearchHitDto[]> {
    return (await this.lexical.search(query, request.limit, request.category)).map(lexicalResult);
  }

  private async hybridHits(model: EmbeddingModelEntity, vector: Float32Array, query: string, request: SearchRequestDto): Promise<SearchHitDto[]> {
    const candidates = Math.max(request.limit, HYBRID_CANDIDATES);
    const [near, lexical] = await Promise.all([
      this.vectors.nearest(model, vector, candidates, request.category),
      this.lexical.search(query, candidates, request.category),
    ]);
    const byId = new Map<string, SearchHitDto>();
    for (const hit of lexical) byId.set(hit.id, lexicalResult(hit));
    for (const hit of near) byId.set(hit.id, vectorResult(hit));
    const fused = fuseByReciprocalRank([near.map((hit) => hit.id), lexical.map((hit) => hit.id)], this.config.search.rrfK);
    return fused.slice(0, request.limit).map(({ id, score }) => ({ ...byId.get(id)!, score }));
  }
}

function vectorResult(hit: VectorHit): SearchHitDto {
  return {
    id: hit.id,
    question: hit.question,
    answer: hit.answer,
    category: hit.category,
    score: hit.similarity,
    similarity: hit.similarity,
    stale: hit.stale,
  };
}

function lexicalResult(hit: LexicalHit): SearchHitDto {
  return { id: hit.id, question: hit.question, answer: hit.answer, category: hit.category, score: hit.rank, similarity: null, stale: false };
}
