import { BullAdapter } from '@bull-board/api/bullAdapter';
import { BullBoardModule } from '@bull-board/nestjs';
import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { RedisOptions } from 'ioredis';
import { CircuitBreakerModule } from '../circuit-breaker/circuit-breaker.module';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { CostAnalyticsModule } from '../cost-analytics/cost-analytics.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { ProviderError } from '../embeddings/providers/provider-error';
import { retryDelayMs } from './backoff';
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

/**
 * Connection options for Bull, which opens (and closes) its three connections itself. Bull
 * forces the blocking and subscriber ones to retry forever; the command one gives up
 * after a few retries, so a producer fails fast while Redis is down (the reconciler
 * re-enqueues later) instead of hanging an API request.
 */
export function bullRedisOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    db: Number(parsed.pathname.slice(1) || 0),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: 3,
    enableReadyCheck: false,
  };
}

@Module({
  imports: [
    EmbeddingsModule,
    CircuitBreakerModule,
    CostAnalyticsModule,
    TypeOrmModule.forFeature([DeadLetterEntity]),
    BullModule.registerQueueAsync({
      name: EMBEDDINGS_QUEUE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        prefix: config.redis.prefix,
        redis: bullRedisOptions(config.redis.url),
        settings: {
          lockDuration: config.queue.lockDurationMs,
          lockRenewTime: Math.floor(config.queue.lockDurationMs / 2),
          stalledInterval: config.queue.stalledIntervalMs,
          maxStalledCount: 1,
          backoffStrategies: {
            jittered: (attemptsMade: number, error: Error) =>
              retryDelayMs(
                attemptsMade,
                { baseMs: config.queue.backoffBaseMs, capMs: config.queue.backoffCapMs },
                error instanceof ProviderError ? error.details.retryAfterMs : undefined,
              ),
          },
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
  exports: [EmbeddingQueue, DeadLettersService, Reconciler, QueueStatsService],
})
export class QueueModule {}
