import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import { BatchLaneModule } from './batch-lane/batch-lane.module';
import { CircuitBreakerModule } from './circuit-breaker/circuit-breaker.module';
import { adminAuthMiddleware } from './common/admin-auth.middleware';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { ApiKeyGuard } from './common/auth/api-key.guard';
import { ApiKeys } from './common/auth/api-keys';
import { loggerParams } from './common/logging';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { CompareModule } from './compare/compare.module';
import { ConsoleModule } from './console/console.module';
import { CostAnalyticsModule } from './cost-analytics/cost-analytics.module';
import { DatabaseModule } from './database/database.module';
import { EmbeddingsModule } from './embeddings/embeddings.module';
import { EvaluationModule } from './evaluation/evaluation.module';
import { HealthController } from './health/health.controller';
import { MetricsModule } from './metrics/metrics.module';
import { MigrationModule } from './model-migration/migration.module';
import { QaPairsModule } from './qa-pairs/qa-pairs.module';
import { QueueModule } from './queue/queue.module';
import { RedisModule } from './redis/redis.module';
import { SearchModule } from './search/search.module';

/** The whole service; what runs in a process (HTTP, workers, schedules) follows config.roles. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    const keys = new ApiKeys(config.auth.apiKeys, config.auth.adminApiKeys);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, keys),
        LoggerModule.forRoot(loggerParams(config)),
        DatabaseModule.forRoot(config),
        RedisModule,
        ScheduleModule.forRoot(),
        MetricsModule,
        BullBoardModule.forRoot({ route: '/admin/queues', adapter: ExpressAdapter, middleware: adminAuthMiddleware(keys) }),
        CostAnalyticsModule,
        CircuitBreakerModule,
        EmbeddingsModule,
        SearchModule,
        EvaluationModule,
        BatchLaneModule,
        QueueModule,
        QaPairsModule,
        CompareModule,
        MigrationModule,
        ConsoleModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
