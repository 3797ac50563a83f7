import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { CostAnalyticsModule } from '../cost-analytics/cost-analytics.module';
import { EmbeddingClient } from './embedding-client';
import { EmbeddingEvents } from './embedding-events';
import { EmbeddingModelEntity } from './embedding-model.entity';
import { EmbeddingModelsService } from './embedding-models.service';
import { EmbeddingStore } from './embedding-store';
import { ModelsController } from './embeddings.controller';
import { EmbeddingProviders } from './providers/embedding-providers';
import { VectorSearch } from './vector-search';

@Module({
  imports: [TypeOrmModule.forFeature([EmbeddingModelEntity]), CostAnalyticsModule, CircuitBreakerModule],
  controllers: [ModelsController],
  providers: [EmbeddingModelsService, EmbeddingProviders, EmbeddingClient, EmbeddingStore, EmbeddingEvents, VectorSearch],
  exports: [EmbeddingModelsService, EmbeddingClient, EmbeddingStore, EmbeddingEvents, VectorSearch],
})
export class EmbeddingsModule {}
