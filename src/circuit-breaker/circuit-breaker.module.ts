import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { BreakerMetrics } from './breaker.metrics';
import { CircuitBreakersController } from './circuit-breakers.controller';
import { ProviderGates } from './provider-gates';
import { ProviderGuards } from './provider-guards';
import { ProviderUnavailableInterceptor } from './provider-unavailable.interceptor';

/**
 * The breaker and rate budget in front of each remote provider (`ProviderGuards`, used by
 * EmbeddingClient for every call), the per-process gates the queue holds jobs at while a
 * provider is unavailable, the admin API, the metrics, and the 503 mapping for HTTP.
 */
@Module({
  controllers: [CircuitBreakersController],
  providers: [ProviderGuards, ProviderGates, BreakerMetrics, { provide: APP_INTERCEPTOR, useClass: ProviderUnavailableInterceptor }],
  exports: [ProviderGuards, ProviderGates],
})
export class CircuitBreakerModule {}
