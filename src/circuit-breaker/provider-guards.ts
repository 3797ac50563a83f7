import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { ProviderName } from '../embeddings/embedding-model.entity';
import { REDIS } from '../redis/redis.tokens';
import { CircuitBreaker } from './circuit-breaker';
import type { BreakerTransition } from './breaker-types';
import { ProviderGuard } from './provider-guard';
import { RateBudget } from './rate-budget';

/**
 * Providers called over the network, each behind one guard named after it. One breaker per
 * endpoint, not per model: an OpenAI outage (or an exhausted quota) hits every model at once,
 * and per-model breakers would each need their own failures to find out. The offline
 * provider runs in-process and needs none.
 */
export const GUARDED_PROVIDERS = ['openai'] as const satisfies readonly ProviderName[];

/** A probe that takes longer than the call timeout must still hold its permit when it reports. */
const PROBE_LEASE_MARGIN_MS = 5_000;

/** The guards (breaker + rate budget) of every remote provider, built from config. */
@Injectable()
export class ProviderGuards {
  private readonly logger = new Logger(ProviderGuards.name);
  private readonly guards = new Map<string, ProviderGuard>();

  constructor(@Inject(REDIS) redis: Redis, @Inject(APP_CONFIG) config: AppConfig) {
    // Breakers and budgets live inside the deployment's Redis prefix.
    const keyPrefix = `${config.redis.prefix}:`;
    const { breaker: b, rateLimit: r } = config;
    for (const name of GUARDED_PROVIDERS) {
      const breaker = new CircuitBreaker(redis, {
        name,
        keyPrefix,
        failureThreshold: b.failureThreshold,
        recoveryTimeoutMs: b.recoveryTimeoutMs,
        halfOpenMaxProbes: b.halfOpenProbes,
        failureRateThreshold: b.failureRate,
        minimumCalls: b.minCalls,
        rateWindowMs: b.rateWindowMs,
        slowCallMs: b.slowCallMs,
        probeLeaseMs: config.openai.timeoutMs + PROBE_LEASE_MARGIN_MS,
      });
      breaker.on('transition', (transition) => this.logTransition(transition));
      const budget = new RateBudget(redis, { name, keyPrefix, rpm: r.rpm, tpm: r.tpm, windowMs: r.windowMs, maxBlockMs: r.maxBlockMs });
      const options = { maxWaitMs: r.maxWaitMs, recoveryTimeoutMs: b.recoveryTimeoutMs, maxRequestTokens: r.tpm };
      this.guards.set(name, new ProviderGuard(name, breaker, budget, options));
    }
  }

  /** The guard named `name` (the provider it stands in front of); undefined for the offline provider. */
  get(name: string): ProviderGuard | undefined {
    return this.guards.get(name);
  }

  all(): ProviderGuard[] {
    return [...this.guards.values()];
  }

  private logTransition(t: BreakerTransition): void {
    const forced = t.forced ? ` (forced ${t.forced})` : '';
    const message = `circuit breaker ${t.breaker}: ${t.from} → ${t.to}${forced}: ${t.reason}`;
    if (t.to === 'open') this.logger.warn(message);
    else this.logger.log(message);
  }
}
