import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { type GateOutlook, ProviderGate } from './provider-gate';
import { ProviderGuards } from './provider-guards';

/**
 * This process's gates, one per key (the queue uses the model name): while a provider is
 * unavailable, the jobs for it wait at its gate instead of spending attempts.
 */
@Injectable()
export class ProviderGates implements OnApplicationShutdown {
  private readonly logger = new Logger(ProviderGates.name);
  private readonly gates = new Map<string, ProviderGate>();
  private readonly pollMs: number;
  private readonly halfOpenProbes: number;

  constructor(
    private readonly guards: ProviderGuards,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    // Often enough that a closed breaker is seen within a fraction of its recovery timeout.
    this.pollMs = Math.min(1_000, Math.max(100, config.breaker.recoveryTimeoutMs / 4));
    this.halfOpenProbes = config.breaker.halfOpenProbes;
  }

  for(key: string): ProviderGate {
    let gate = this.gates.get(key);
    if (!gate) {
      gate = new ProviderGate(key, (guard) => this.lookout(guard), this.pollMs, this.logger);
      this.gates.set(key, gate);
    }
    return gate;
  }

  /** Jobs held back in this process, over every gate. */
  held(): number {
    let total = 0;
    for (const gate of this.gates.values()) total += gate.held;
    return total;
  }

  /** Lets every waiting job go (GateInterruptedError), so a stopping worker can hand them back to the queue. */
  interrupt(): void {
    for (const gate of this.gates.values()) gate.interrupt();
  }

  onApplicationShutdown(): void {
    this.interrupt();
  }

  private async lookout(guardName: string): Promise<GateOutlook> {
    const guard = this.guards.get(guardName);
    if (!guard) return { kind: 'closed' };
    const snapshot = await guard.breaker.snapshot();
    if (snapshot.forced === 'open') return { kind: 'wait', checkInMs: this.pollMs };
    if (snapshot.state === 'closed') return { kind: 'closed' };
    if (snapshot.state === 'half_open') {
      return snapshot.probesInFlight < this.halfOpenProbes ? { kind: 'probe' } : { kind: 'wait', checkInMs: this.pollMs };
    }
    return { kind: 'wait', checkInMs: Math.max(0, (snapshot.nextProbeAt ?? snapshot.at) - snapshot.at) };
  }
}
