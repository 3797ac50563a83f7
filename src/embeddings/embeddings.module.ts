import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { CostAnalyticsModule } from '../cost-analytics/cost-analytics.module';
import { DeadLetterEntity } from './dead-letter.entity';
import { DeadLetterStore } from './dead-letter-store';
import { EmbeddingClient } from './embedding-client';
import { EmbeddingCoverage } from './embedding-coverage';
import { EmbeddingEvents } from './embedding-events';
import { EmbeddingModelEntity } from './embedding-model.entity';
import { EmbeddingModelsService } from './embedding-models.service';
import { EmbeddingStore } from './embedding-store';
import { EmbeddingVectors } from './embedding-vectors';
import { ModelsController } from './embeddings.controller';
import { EmbeddingProviders } from './providers/embedding-providers';
import { VectorSearch } from './vector-search';

/** What other modules may ask of this one. */
const EXPORTED = [
  EmbeddingProviders,
  EmbeddingModelsService,
  EmbeddingClient,
  EmbeddingStore,
  DeadLetterStore,
  EmbeddingCoverage,
  EmbeddingVectors,
  EmbeddingEvents,
  VectorSearch,
];

/**
 * Embedding models, providers and the client that spends tokens; and the one owner of
 * embedding state (tables `embeddings` and `dead_letters`): other modules read and write it
 * only through `EmbeddingStore`, `DeadLetterStore`, `EmbeddingCoverage`, `EmbeddingVectors`
 * and `VectorSearch`.
 */
@Module({
  imports: [TypeOrmModule.forFeature([EmbeddingModelEntity, DeadLetterEntity]), CostAnalyticsModule, CircuitBreakerModule],
  controllers: [ModelsController],
  providers: EXPORTED,
  exports: EXPORTED,
})
export class EmbeddingsModule {}
