import { Module } from '@nestjs/common';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { CostAnalyticsModule } from '../cost-analytics/cost-analytics.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { registerBullQueue } from '../common/jobs/bull-options';
import { DeadLetterRecorder } from './dead-letters/dead-letter-recorder';
import { DeadLettersService } from './dead-letters/dead-letters.service';
import { BatchEmbedder } from './batch-embedder';
import { EMBEDDINGS_QUEUE } from './embedding-job';
import { EmbeddingJobRunner } from './embedding-job-runner';
import { EmbeddingQueue } from './embedding-queue.service';
import { EmbeddingQueueConsumer } from './embedding-queue.consumer';
import { DeadLettersController, QueueController } from './queue.controller';
import { QueueMetrics } from './queue.metrics';
import { QueueStatsService } from './queue-stats.service';
import { Reconciler } from './reconciler.service';
import { ThroughputCounter } from './throughput-counter';

@Module({
  imports: [EmbeddingsModule, CircuitBreakerModule, CostAnalyticsModule, ...registerBullQueue(EMBEDDINGS_QUEUE)],
  controllers: [QueueController, DeadLettersController],
  providers: [
    EmbeddingQueue,
    BatchEmbedder,
    EmbeddingJobRunner,
    EmbeddingQueueConsumer,
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
