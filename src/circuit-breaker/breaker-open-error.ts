import { type Admission, type BreakerState, refusalOf } from './breaker-types';

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
    super(`circuit breaker ${admission.breaker} is ${refusalOf(admission).why}; retry in ${admission.retryInMs} ms`);
    this.breaker = admission.breaker;
    this.state = admission.state;
    this.forced = admission.forced !== null;
    this.retryInMs = admission.retryInMs;
    this.retryAt = admission.retryAt;
  }
}
