import { Module } from '@nestjs/common';
import { CostAnalyticsModule } from '../cost-analytics/cost-analytics.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { LexicalSearch } from './lexical-search';
import { QueryEmbeddingCache } from './query-embedding-cache';
import { SearchLatencyModule } from './search-latency.module';
import { SearchController } from './search.controller';
import { SearchEvents } from './search-events';
import { SearchService } from './search.service';
import { SearchMetrics } from './search.metrics';

@Module({
  imports: [EmbeddingsModule, CostAnalyticsModule, SearchLatencyModule],
  controllers: [SearchController],
  providers: [SearchService, LexicalSearch, QueryEmbeddingCache, SearchMetrics, SearchEvents],
  exports: [SearchEvents],
})
export class SearchModule {}
