import { Module } from '@nestjs/common';
import { CostAnalyticsModule } from '../cost-analytics/cost-analytics.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { LexicalSearch } from './lexical-search';
import { QueryEmbeddingCache } from './query-embedding-cache';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';
import { SearchMetrics } from './search.metrics';

@Module({
  imports: [EmbeddingsModule, CostAnalyticsModule],
  controllers: [SearchController],
  providers: [SearchService, LexicalSearch, QueryEmbeddingCache, SearchMetrics],
})
export class SearchModule {}
