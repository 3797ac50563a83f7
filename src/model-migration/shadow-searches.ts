import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EmbeddingClient } from '../embeddings/embedding-client';
import { EmbeddingModelsService } from '../embeddings/embedding-models.service';
import { countTokens } from '../embeddings/tokenizer';
import { VectorSearch } from '../embeddings/vector-search';
import { overlapAtK, rankBiasedOverlap } from '../evaluation/retrieval-metrics';
import { type SearchAnswered, SearchEvents } from '../search/search-events';
import type { ShadowSearchesDto } from './dto/quality-gate.dto';
import { MigrationRecords } from './migration-records';

const K = 10;
/** How long a process trusts its view of which migration is being filled from the active model. */
const TARGET_CACHE_MS = 5_000;

interface ShadowTarget {
  migrationId: string;
  modelId: number;
}

/**
 * Shadow traffic: a share (SEARCH_SHADOW_SHARE) of live vector and hybrid searches is run
 * again, after the answer is on its way, on the target of a migration from the active model
 * (running, paused or ready); how far its top results move from the user's is summed per
 * migration in `shadow_searches`. Its query tokens go to the ledger under purpose `shadow`.
 * At most SEARCH_SHADOW_MAX_IN_FLIGHT per process at once: beyond, a shadow is skipped, so
 * a burst of traffic never queues background work behind it.
 */
@Injectable()
export class ShadowSearches implements OnModuleInit {
  private readonly logger = new Logger(ShadowSearches.name);
  private inFlight = 0;
  private target: { value: ShadowTarget | null; at: number } = { value: null, at: 0 };

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly searches: SearchEvents,
    private readonly models: EmbeddingModelsService,
    private readonly client: EmbeddingClient,
    private readonly vectors: VectorSearch,
    private readonly records: MigrationRecords,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (this.config.evaluation.shadowShare > 0) this.searches.on('answered', (search) => this.consider(search));
  }

  private consider(search: SearchAnswered): void {
    if (search.mode === 'lexical' || search.resultIds.length === 0) return;
    if (Math.random() >= this.config.evaluation.shadowShare) return;
    if (this.inFlight >= this.config.evaluation.shadowMaxInFlight) return;
    this.inFlight++;
    setImmediate(() => {
      this.shadow(search)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'shadow search failed'))
        .finally(() => this.inFlight--);
    });
  }

  private async shadow(search: SearchAnswered): Promise<void> {
    const target = await this.currentTarget(search.modelId);
    if (!target) return;
    const model = await this.models.getById(target.modelId);
    const tokens = countTokens(search.query);
    if (tokens > model.maxInputTokens) return;
    const [vector] = await this.client.embed(model, [{ text: search.query, tokens, purpose: 'shadow' }]);
    const k = Math.min(K, search.limit);
    const hits = await this.vectors.nearest(model, vector, k, search.category);
    const shadowIds = hits.map((hit) => hit.id);
    const asked = search.resultIds.slice(0, k);
    await this.db.query(
      `INSERT INTO shadow_searches (migration_id, searches, overlap_sum, rbo_sum) VALUES ($1, 1, $2, $3)
       ON CONFLICT (migration_id) DO UPDATE SET searches = shadow_searches.searches + 1,
         overlap_sum = shadow_searches.overlap_sum + EXCLUDED.overlap_sum, rbo_sum = shadow_searches.rbo_sum + EXCLUDED.rbo_sum, updated_at = now()`,
      [target.migrationId, overlapAtK(asked, shadowIds, k), rankBiasedOverlap(asked, shadowIds, 0.9, k)],
    );
  }

  /** The migration in progress from the active model, if any (the newest one when two fill from it). */
  private async currentTarget(activeModelId: number): Promise<ShadowTarget | null> {
    if (Date.now() - this.target.at < TARGET_CACHE_MS) return this.target.value;
    const migration = await this.records.latestInProgressFrom(activeModelId);
    this.target = { value: migration ? { migrationId: migration.id, modelId: migration.toModelId } : null, at: Date.now() };
    return this.target.value;
  }

  /** What shadow searches measured for a migration. */
  async summary(migrationIds: string[]): Promise<Map<string, ShadowSearchesDto>> {
    if (migrationIds.length === 0) return new Map();
    const rows: Array<{ migration_id: string; searches: string; overlap_sum: number; rbo_sum: number }> = await this.db.query(
      `SELECT migration_id, searches, overlap_sum, rbo_sum FROM shadow_searches WHERE migration_id = ANY($1::uuid[])`,
      [migrationIds],
    );
    return new Map(
      rows.map((row) => {
        const searches = Number(row.searches);
        const mean = (sum: number) => (searches === 0 ? null : Math.round((sum / searches) * 10_000) / 10_000);
        return [row.migration_id, { searches, meanOverlap: mean(row.overlap_sum), meanRankBiasedOverlap: mean(row.rbo_sum) }];
      }),
    );
  }
}
