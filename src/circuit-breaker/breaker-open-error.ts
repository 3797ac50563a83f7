import type { Admission, BreakerState } from './breaker-types';

/** Thrown by `CircuitBreaker.call` when the breaker does not admit the call; the call was not made. */
export class BreakerOpenError extends Error {
  override readonly name = 'BreakerOpenError';
  readonly breaker: string;
  readonly state: BreakerState;
  readonly forced: boolean;
  readonly retryInMs: number;
  /** Epoch ms on the Redis clock. */
  readonly retryAt: number;

  constructor(admission: Admission) {
    const why = admission.forced ? 'forced open' : admission.state === 'half_open' ? 'half-open, probe in flight' : 'open';
    super(`circuit breaker ${admission.breaker} is ${why}; retry in ${admission.retryInMs} ms`);
    this.breaker = admission.breaker;
    this.state = admission.state;
    this.forced = admission.forced !== null;
    this.retryInMs = admission.retryInMs;
    this.retryAt = admission.retryAt;
  }
}
