import type { Logger } from '@nestjs/common';
import type { ProviderUnavailableError } from './provider-unavailable-error';

/** What the breaker says about letting calls through, as a gate needs it. */
export type GateOutlook = { kind: 'closed' } | { kind: 'probe' } | { kind: 'wait'; checkInMs: number };

/** Held by a job that went through the gate; `done()` once its attempt has an outcome. */
export interface GatePass {
  done(): void;
}

const FREE_PASS: GatePass = { done: () => undefined };

/** A waiting job was let go because the process is stopping; `retryInMs` is when the provider may take calls again. */
export class GateInterruptedError extends Error {
  override readonly name = 'GateInterruptedError';

  constructor(
    readonly key: string,
    readonly retryInMs: number,
  ) {
    super(`stopped waiting for ${key}: the process is shutting down`);
  }
}

interface Block {
  guard: string;
  reason: 'breaker' | 'rate_budget';
  /** Local clock; for the breaker only a hint, the watcher reads the breaker itself. */
  untilMs: number;
}

interface Waiter {
  resolve(pass: GatePass): void;
  reject(error: Error): void;
}

/**
 * One process's gate in front of one kind of work (a model's jobs). Open, everything passes.
 * Once a call was refused it holds every job back, and:
 * - for the rate budget, opens again when the budget said to come back;
 * - for the breaker, reads the breaker every `pollMs` (and at `nextProbeAt`), lets **one**
 *   job through whenever a half-open probe would be admitted, and opens when the breaker is
 *   closed again, whoever closed it. The breaker's probe permits make that one probe per
 *   cluster: the other processes' candidates are refused without a call and wait again.
 */
export class ProviderGate {
  /** Why and until when jobs are held; null while open. */
  private current: Block | null = null;
  private readonly waiters: Waiter[] = [];
  private probing = false;
  private watching = false;
  private interrupted = false;
  private wake: (() => void) | null = null;

  constructor(
    readonly key: string,
    private readonly lookout: (guard: string) => Promise<GateOutlook>,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  /** Jobs waiting here now. */
  get held(): number {
    return this.waiters.length;
  }

  get isBlocked(): boolean {
    return this.current !== null;
  }

  /** Resolves at once while open; otherwise when the gate opens or lets this job probe. Rejects with GateInterruptedError on shutdown. */
  pass(): Promise<GatePass> {
    if (!this.current) return Promise.resolve(FREE_PASS);
    if (this.interrupted) return Promise.reject(this.interruption());
    return new Promise<GatePass>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Holds jobs back after the provider's guard refused a call with `error`. */
  block(error: ProviderUnavailableError): void {
    const reason = error.reason === 'rate_limited' ? 'rate_budget' : 'breaker';
    const untilMs = Date.now() + error.retryInMs;
    if (this.current?.reason === 'rate_budget' && reason === 'rate_budget') {
      this.current.untilMs = Math.max(this.current.untilMs, untilMs);
    } else if (this.current?.reason !== 'breaker' || reason === 'breaker') {
      // A breaker block outranks a budget block: only the breaker can say when calls go through.
      this.current = { guard: error.guard, reason, untilMs };
    }
    this.watch();
  }

  /** Lets every waiting job go with GateInterruptedError, and every later one while blocked. */
  interrupt(): void {
    this.interrupted = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.interruption());
    this.wake?.();
  }

  private interruption(): GateInterruptedError {
    return new GateInterruptedError(this.key, this.current ? Math.max(this.pollMs, this.current.untilMs - Date.now()) : 0);
  }

  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    void this.watchUntilOpen().finally(() => {
      this.watching = false;
    });
  }

  private async watchUntilOpen(): Promise<void> {
    while (this.current && !this.interrupted) {
      const block = this.current;
      if (block.reason === 'rate_budget') {
        const remaining = block.untilMs - Date.now();
        if (remaining <= 0) this.open();
        else await this.sleep(remaining);
        continue;
      }
      const outlook = await this.lookout(block.guard).catch((error: unknown): GateOutlook => {
        this.logger.warn({ err: error, gate: this.key }, 'could not read the circuit breaker; trying again');
        return { kind: 'wait', checkInMs: this.pollMs };
      });
      if (outlook.kind === 'closed') {
        this.open();
        continue;
      }
      if (outlook.kind === 'probe') this.releaseProbe();
      else block.untilMs = Date.now() + outlook.checkInMs;
      await this.sleep(outlook.kind === 'wait' ? Math.min(this.pollMs, outlook.checkInMs) : this.pollMs);
    }
  }

  private releaseProbe(): void {
    if (this.probing) return;
    const waiter = this.waiters.shift();
    if (!waiter) return;
    this.probing = true;
    let finished = false;
    waiter.resolve({
      done: () => {
        if (finished) return;
        finished = true;
        this.probing = false;
        this.wake?.();
      },
    });
  }

  private open(): void {
    this.current = null;
    for (const waiter of this.waiters.splice(0)) waiter.resolve(FREE_PASS);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, ms));
      this.wake = finish;
    });
  }
}
