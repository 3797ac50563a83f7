import { Inject, Injectable } from '@nestjs/common';
import { forbidden } from '../../common/errors';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { EmbeddingModelEntity } from '../../embeddings/embedding-model.entity';
import { EmbeddingModelsService } from '../../embeddings/embedding-models.service';
import { EmbeddingVectors } from '../../embeddings/embedding-vectors';
import { findNearDuplicatesUpTo } from './find-near-duplicates';
import { groupIntoClusters } from './near-duplicate-clusters';
import { DEFAULT_THRESHOLD, type NearDuplicatePair } from './near-duplicate-pairs';
import type { ScanParameters } from './near-duplicate-scan';
import { chooseModel } from '../pair-comparison/model-choice';
import { BackgroundRuns } from '../runs/background-runs';
import type { CompareRunOf } from '../runs/compare-runs';

export const DEFAULT_PAIR_LIMIT = 100;
/** Pairs a background scan stores unless told otherwise (paginated when read). */
export const DEFAULT_SCAN_LIMIT = 100_000;
/**
 * Pairs an in-request answer collects (then `truncated`): enough to count them and to
 * cluster from all of them, since a limit cuts pairs, not groups.
 */
const IN_REQUEST_MAX_PAIRS = 100_000;
/** NEAR_DUPLICATE_SYNC_MAX_VECTORS is measured at this width; wider vectors cost more per vector. */
const REFERENCE_DIMENSIONS = 1536;

export interface NearDuplicateQuery {
  threshold?: number;
  limit?: number;
  category?: string;
  /** Model name; by default the active model. */
  model?: string;
  /** Also group the pairs (A~B, B~C → one group). */
  cluster?: boolean;
}

export interface InRequestNearDuplicates {
  mode: 'in-request';
  model: string;
  threshold: number;
  /** Vectors compared (current embeddings of the model, of the category if one was given). */
  vectors: number;
  /** Pairs found (counted up to 100,000); `pairs` holds the first `limit`. */
  totalPairs: number;
  pairs: NearDuplicatePair<string>[];
  /** Largest first, at most `limit`; only when asked for. */
  clusters?: string[][];
  totalClusters?: number;
  /** More than 100,000 pairs exist: counts and clusters cover the 100,000 most similar. */
  truncated: boolean;
}

export interface BackgroundNearDuplicates {
  mode: 'background';
  model: string;
  threshold: number;
  vectors: number;
  scan: CompareRunOf<'near_duplicate_scan'>;
}

/**
 * Near-duplicate QA pairs under one model. Up to NEAR_DUPLICATE_SYNC_MAX_VECTORS vectors the
 * answer comes in the request; a larger set becomes a background scan (README "In the
 * request or in the background").
 */
@Injectable()
export class NearDuplicatesService {
  constructor(
    private readonly models: EmbeddingModelsService,
    private readonly vectors: EmbeddingVectors,
    private readonly runs: BackgroundRuns,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `mayStartScan`: whether the caller may start a background scan (admins only) when the set is too large to answer at once. */
  async findNearDuplicates(
    query: NearDuplicateQuery,
    { mayStartScan }: { mayStartScan: boolean },
  ): Promise<InRequestNearDuplicates | BackgroundNearDuplicates> {
    const threshold = query.threshold ?? DEFAULT_THRESHOLD;
    const limit = query.limit ?? DEFAULT_PAIR_LIMIT;
    const model = await chooseModel(this.models, query.model);
    const count = await this.vectors.countCurrent(model, query.category);
    const inRequestMax = this.inRequestMaxVectors(model);
    if (count > inRequestMax) {
      if (!mayStartScan) {
        throw forbidden(
          `${count} vectors are more than the ${inRequestMax} answered in a request: that takes a background scan, ` +
            'which needs an admin API key (or narrow the set with `category`)',
        );
      }
      const scan = await this.start(model, { threshold, limit: DEFAULT_SCAN_LIMIT, category: query.category ?? null });
      return { mode: 'background', model: model.name, threshold, vectors: count, scan };
    }

    const entries = await this.vectors.loadCurrent(model, { category: query.category });
    const { pairs: kept, truncated } = await findNearDuplicatesUpTo(entries, { threshold, limit: IN_REQUEST_MAX_PAIRS });
    const answer: InRequestNearDuplicates = {
      mode: 'in-request',
      model: model.name,
      threshold,
      vectors: entries.length,
      totalPairs: kept.length,
      pairs: kept.slice(0, limit),
      truncated,
    };
    if (query.cluster) {
      const clusters = groupIntoClusters(kept);
      answer.clusters = clusters.slice(0, limit);
      answer.totalClusters = clusters.length;
    }
    return answer;
  }

  /** A background scan of every current vector of the model (or of one category). */
  async startScan(query: Omit<NearDuplicateQuery, 'cluster'>): Promise<CompareRunOf<'near_duplicate_scan'>> {
    const model = await chooseModel(this.models, query.model);
    return this.start(model, {
      threshold: query.threshold ?? DEFAULT_THRESHOLD,
      limit: query.limit ?? DEFAULT_SCAN_LIMIT,
      category: query.category ?? null,
    });
  }

  /** The in-request cut-off for a model: measured at 1536 dimensions, scaled by width. */
  inRequestMaxVectors(model: Pick<EmbeddingModelEntity, 'dimensions'>): number {
    return Math.floor((this.config.compare.syncMaxVectors * REFERENCE_DIMENSIONS) / model.dimensions);
  }

  private start(model: EmbeddingModelEntity, parameters: ScanParameters): Promise<CompareRunOf<'near_duplicate_scan'>> {
    return this.runs.start('near_duplicate_scan', model.id, parameters);
  }
}
