import { Global, Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { MetricsController } from './metrics.controller';

/** One Prometheus registry per app instance (tests run several apps in one process). */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: Registry,
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry, prefix: 'embsvc_' });
        return registry;
      },
    },
  ],
  exports: [Registry],
})
export class MetricsModule {}
