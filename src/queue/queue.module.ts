import { BullAdapter } from '@bull-board/api/bullAdapter';
import { BullBoardModule } from '@bull-board/nestjs';
import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { CostAnalyticsModule } from '../cost-analytics/cost-analytics.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { ProviderError } from '../embeddings/providers/provider-error';
import { retryDelayMs } from './backoff';
import { bullQueueOptions } from './bull-options';
import { DeadLetterRecorder } from './dead-letters/dead-letter-recorder';
import { DeadLetterEntity } from './dead-letters/dead-letter.entity';
import { DeadLettersService } from './dead-letters/dead-letters.service';
import { EmbeddingBatchProcessor } from './embedding-batch.processor';
import { EMBEDDINGS_QUEUE } from './embedding-job';
import { EmbeddingJobRunner } from './embedding-job-runner';
import { EmbeddingQueue } from './embedding-queue.service';
import { EmbeddingWorker } from './embedding.worker';
import { DeadLettersController, QueueController } from './queue.controller';
import { QueueMetrics } from './queue.metrics';
import { QueueStatsService } from './queue-stats.service';
import { Reconciler } from './reconciler.service';
import { ThroughputCounter } from './throughput-counter';

@Module({
  imports: [
    EmbeddingsModule,
    CircuitBreakerModule,
    CostAnalyticsModule,
    TypeOrmModule.forFeature([DeadLetterEntity]),
    BullModule.registerQueueAsync({
      name: EMBEDDINGS_QUEUE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        bullQueueOptions(config, {
          // Bull would fail a job that stalled too often with no job left to dead-letter
          // (removeOnFail deletes it first): EmbeddingWorker counts the stalls itself.
          maxStalledCount: Number.MAX_SAFE_INTEGER,
          backoffStrategies: {
            jittered: (attemptsMade: number, error: Error) =>
              retryDelayMs(
                attemptsMade,
                { baseMs: config.queue.backoffBaseMs, capMs: config.queue.backoffCapMs },
                error instanceof ProviderError ? error.details.retryAfterMs : undefined,
              ),
          },
        }),
    }),
    BullBoardModule.forFeature({ name: EMBEDDINGS_QUEUE, adapter: BullAdapter }),
  ],
  controllers: [QueueController, DeadLettersController],
  providers: [
    EmbeddingQueue,
    EmbeddingBatchProcessor,
    EmbeddingJobRunner,
    EmbeddingWorker,
    DeadLetterRecorder,
    DeadLettersService,
    QueueMetrics,
    QueueStatsService,
    ThroughputCounter,
    Reconciler,
  ],
  exports: [EmbeddingQueue, DeadLettersService, Reconciler, QueueStatsService, ThroughputCounter],
})
export class QueueModule {}
