import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerOpenCause, BreakerSnapshot, BreakerState } from './breaker-types';
import { ProviderGuards } from './provider-guards';

const STATES: BreakerState[] = ['closed', 'half_open', 'open'];
const OPEN_CAUSES: BreakerOpenCause[] = ['failures', 'credentials_rejected'];

/**
 * Breaker and rate-budget metrics on /metrics. The state gauges are read from Redis at
 * scrape time, so every process reports the cluster's state; the counters count what this
 * process did (its transitions, its refused calls, its waits).
 */
@Injectable()
export class BreakerMetrics {
  constructor(registry: Registry, guards: ProviderGuards) {
    // Both state gauges read the same snapshots: one scrape runs the snapshot script once per guard.
    let inFlight: Promise<BreakerSnapshot[]> | undefined;
    const snapshots = (): Promise<BreakerSnapshot[]> =>
      (inFlight ??= Promise.all(guards.all().map((guard) => guard.breaker.snapshot())).finally(() => {
        inFlight = undefined;
      }));
    new Gauge({
      name: 'embsvc_circuit_breaker_state',
      help: 'Circuit breaker state, cluster-wide: 1 for the current state, 0 for the others',
      labelNames: ['breaker', 'state'],
      registers: [registry],
      async collect() {
        const all = await snapshots().catch(() => undefined);
        for (const snapshot of all ?? []) {
          for (const state of STATES) this.set({ breaker: snapshot.name, state }, snapshot.state === state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'embsvc_circuit_breaker_forced',
      help: 'Whether an operator forced the breaker (open or closed) until released',
      labelNames: ['breaker'],
      registers: [registry],
      async collect() {
        const all = await snapshots().catch(() => undefined);
        for (const snapshot of all ?? []) this.set({ breaker: snapshot.name }, snapshot.forced ? 1 : 0);
      },
    });
    new Gauge({
      name: 'embsvc_circuit_breaker_open_cause',
      help: 'Why the breaker is open or half-open, cluster-wide: 1 for the cause (failures, credentials_rejected), 0 for the others and while closed',
      labelNames: ['breaker', 'cause'],
      registers: [registry],
      async collect() {
        const all = await snapshots().catch(() => undefined);
        for (const snapshot of all ?? []) {
          for (const cause of OPEN_CAUSES) this.set({ breaker: snapshot.name, cause }, snapshot.openCause === cause ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'embsvc_rate_budget_limit',
      help: 'Effective rate budget per window (the lower of configured and learned from the provider)',
      labelNames: ['budget', 'unit'],
      registers: [registry],
      async collect() {
        for (const guard of guards.all()) {
          const limits = await guard.budget.limits().catch(() => undefined);
          if (limits?.rpm) this.set({ budget: guard.name, unit: 'requests' }, limits.rpm);
          if (limits?.tpm) this.set({ budget: guard.name, unit: 'tokens' }, limits.tpm);
        }
      },
    });

    const transitions = new Counter({
      name: 'embsvc_circuit_breaker_transitions_total',
      help: 'Breaker state changes made by this process',
      labelNames: ['breaker', 'from', 'to'],
      registers: [registry],
    });
    const rejected = new Counter({
      name: 'embsvc_circuit_breaker_rejected_calls_total',
      help: 'Provider calls not made: breaker open, forced open or half-open with its probes out, or rate budget used up',
      labelNames: ['breaker', 'reason'],
      registers: [registry],
    });
    const budgetWait = new Histogram({
      name: 'embsvc_rate_budget_wait_seconds',
      help: 'Time a provider call waited for the shared rate budget',
      labelNames: ['budget'],
      buckets: [0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    const rateLimited = new Counter({
      name: 'embsvc_provider_rate_limited_total',
      help: 'Ordinary 429 answers from the provider (waited out, not counted by the breaker)',
      labelNames: ['provider'],
      registers: [registry],
    });
    for (const guard of guards.all()) {
      guard.breaker.on('transition', (t) => {
        if (t.from !== t.to) transitions.inc({ breaker: t.breaker, from: t.from, to: t.to });
      });
      guard.on('rejected', (reason) => rejected.inc({ breaker: guard.name, reason }));
      guard.on('budgetWait', (ms) => budgetWait.observe({ budget: guard.name }, ms / 1000));
      guard.on('rateLimited', () => rateLimited.inc({ provider: guard.name }));
    }
  }
}
