export type BreakerState = 'closed' | 'open' | 'half_open';

/** A state an operator pinned the breaker to; it holds until released. */
export type ForcedState = 'open' | 'closed';

/**
 * Why the breaker opened, kept until it closes: `failures` (the threshold or the failure
 * rate, or a failed probe), or a failure that opens it at once, `credentials_rejected` (the
 * provider refused the API key). Forcing is shown by `forced`, not here.
 */
export type BreakerOpenCause = 'failures' | 'credentials_rejected';

/** The answer to `acquire()`: whether the call may go ahead, and if not, when to ask again. */
export interface Admission {
  breaker: string;
  allowed: boolean;
  /** A half-open probe: its outcome decides whether the breaker closes or opens again. */
  probe: boolean;
  /** Held by probes only; it expires after `probeLeaseMs` if the prober never reports. */
  permitId: string | null;
  state: BreakerState;
  forced: ForcedState | null;
  /** Why it opened, while open or half-open (null when closed or only forced). */
  openCause: BreakerOpenCause | null;
  /** 0 when allowed. While forced open: the recovery timeout, as a hint to check again. */
  retryInMs: number;
  /** Epoch ms on the Redis clock. */
  retryAt: number;
}

/** The words for a breaker held open by a refused key: what is wrong, who fixes it, what happens after. */
export const CREDENTIALS_REJECTED =
  'the provider rejected the API key (revoked, rotated or not allowed); an operator must fix OPENAI_API_KEY, and calls resume by themselves once a probe succeeds';

/** How a breaker refused a call it did not admit: the reason code, and the words for messages. */
export function refusalOf(admission: Admission): {
  reason: 'breaker_forced_open' | 'breaker_half_open' | 'breaker_open' | 'credentials_rejected';
  why: string;
} {
  if (admission.forced === 'open') return { reason: 'breaker_forced_open', why: 'forced open' };
  if (admission.openCause === 'credentials_rejected') {
    return { reason: 'credentials_rejected', why: `${admission.state === 'half_open' ? 'half-open' : 'open'}: ${CREDENTIALS_REJECTED}` };
  }
  if (admission.state === 'half_open') return { reason: 'breaker_half_open', why: 'half-open, probe in flight' };
  return { reason: 'breaker_open', why: 'open' };
}

/** One entry of the history, and the payload of the `transition` event. */
export interface BreakerTransition {
  breaker: string;
  from: BreakerState;
  /** Equal to `from` when only the forced flag changed (forcing an open breaker open, a reset of a closed one). */
  to: BreakerState;
  /** Epoch ms on the Redis clock. */
  at: number;
  reason: string;
  forced: ForcedState | null;
}

/** Everything the admin API shows about a breaker. Times are epoch ms on the Redis clock. */
export interface BreakerSnapshot {
  name: string;
  state: BreakerState;
  forced: ForcedState | null;
  forcedReason: string | null;
  consecutiveFailures: number;
  halfOpenSuccesses: number;
  /** Calls and failures recorded while closed over the last `windowMs` (reset when the breaker opens or closes). */
  window: { calls: number; failures: number; windowMs: number };
  openedAt: number | null;
  nextProbeAt: number | null;
  lastError: { message: string; at: number } | null;
  /** Why it opened, while open or half-open; null when closed (or only forced open). */
  openCause: BreakerOpenCause | null;
  probesInFlight: number;
  /** Changes of state since the breaker's keys were created. */
  transitions: number;
  /** When the snapshot was taken. */
  at: number;
}
