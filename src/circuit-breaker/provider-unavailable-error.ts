import { ProviderError } from '../embeddings/providers/provider-error';
import { type Admission, refusalOf } from './breaker-types';

/**
 * Why a provider call was not made (or, for `breaker_open` after a failure, why the caller
 * should not treat the failure as its own): the breaker is open, forced open, or half-open
 * with its probes out, or open because the provider rejected the API key
 * (`credentials_rejected`); or the rate budget would make the caller wait too long.
 */
export type UnavailableReason = 'breaker_open' | 'breaker_forced_open' | 'breaker_half_open' | 'credentials_rejected' | 'rate_limited';

/**
 * Thrown by a guarded provider call that was not admitted, carrying when to come back. A
 * ProviderError (kind `unavailable`), so it keeps its identity through every
 * `classifyProviderError`: the queue postpones the job without spending an attempt, HTTP
 * answers 503 with Retry-After.
 */
export class ProviderUnavailableError extends ProviderError {
  constructor(
    /** The guard (breaker and budget) that refused, e.g. `openai`. */
    readonly guard: string,
    readonly reason: UnavailableReason,
    readonly retryInMs: number,
    message: string,
    cause?: ProviderError,
  ) {
    super('unavailable', message, { retryAfterMs: Math.max(0, Math.ceil(retryInMs)), status: cause?.details.status });
    if (cause) this.cause = cause;
  }

  static notAdmitted(guard: string, admission: Admission): ProviderUnavailableError {
    const { reason, why } = refusalOf(admission);
    return new ProviderUnavailableError(
      guard,
      reason,
      admission.retryInMs,
      `the ${guard} circuit breaker is ${why}; retry in ${admission.retryInMs} ms`,
    );
  }
}
