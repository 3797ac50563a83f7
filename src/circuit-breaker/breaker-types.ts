export type BreakerState = 'closed' | 'open' | 'half_open';

/** A state an operator pinned the breaker to; it holds until released. */
export type ForcedState = 'open' | 'closed';

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
  /** 0 when allowed. While forced open: the recovery timeout, as a hint to check again. */
  retryInMs: number;
  /** Epoch ms on the Redis clock. */
  retryAt: number;
}

/** How a breaker refused a call it did not admit: the reason code, and the words for messages. */
export function refusalOf(admission: Admission): { reason: 'breaker_forced_open' | 'breaker_half_open' | 'breaker_open'; why: string } {
  if (admission.forced === 'open') return { reason: 'breaker_forced_open', why: 'forced open' };
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
  probesInFlight: number;
  /** Changes of state since the breaker's keys were created. */
  transitions: number;
  /** When the snapshot was taken. */
  at: number;
}
