export interface CircuitBreakerOptions {
  /** One name per protected dependency, shared by every process that calls it. */
  name: string;
  /** Prepended to every key, e.g. `emb:`. */
  keyPrefix: string;
  /** Consecutive failures that open a closed breaker. */
  failureThreshold?: number;
  /** How long an open breaker rejects before letting probes through. */
  recoveryTimeoutMs?: number;
  /** Probes admitted at once while half-open; the rest are rejected fast. */
  halfOpenMaxProbes?: number;
  /** Successful probes that close a half-open breaker. */
  successThreshold?: number;
  /** Share of failed calls (0..1] over `rateWindowMs` that opens the breaker; off when unset. */
  failureRateThreshold?: number;
  rateWindowMs?: number;
  /** Calls the window must hold before the failure rate can open the breaker. */
  minimumCalls?: number;
  /** A call that succeeds but takes longer than this counts as a failure; off when unset. */
  slowCallMs?: number;
  /** A probe permit expires after this, so a prober that died does not block half-open. Keep it above the call timeout. */
  probeLeaseMs?: number;
  /** Transitions kept in the history list. */
  historySize?: number;
}

export type ResolvedBreakerOptions = Required<Omit<CircuitBreakerOptions, 'failureRateThreshold' | 'slowCallMs'>> &
  Pick<CircuitBreakerOptions, 'failureRateThreshold' | 'slowCallMs'>;

export const BREAKER_DEFAULTS = {
  failureThreshold: 5,
  recoveryTimeoutMs: 60_000,
  halfOpenMaxProbes: 1,
  successThreshold: 1,
  rateWindowMs: 60_000,
  // Few enough to react within a minute at modest traffic, enough that two unlucky calls
  // out of three do not open the breaker (opossum's default of 0 trips on the first failure).
  minimumCalls: 20,
  probeLeaseMs: 30_000,
  historySize: 50,
} as const;

export function resolveBreakerOptions(options: CircuitBreakerOptions): ResolvedBreakerOptions {
  if (!options.name) throw new RangeError('circuit breaker: name is required');
  const resolved: ResolvedBreakerOptions = { ...BREAKER_DEFAULTS, ...withoutUndefined(options) };
  for (const key of ['failureThreshold', 'halfOpenMaxProbes', 'successThreshold', 'minimumCalls', 'historySize'] as const) {
    requirePositiveInteger(resolved.name, key, resolved[key]);
  }
  for (const key of ['recoveryTimeoutMs', 'rateWindowMs', 'probeLeaseMs', 'slowCallMs'] as const) {
    const value = resolved[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new RangeError(`circuit breaker ${resolved.name}: ${key} must be a positive number, got ${value}`);
    }
  }
  const rate = resolved.failureRateThreshold;
  if (rate !== undefined && !(rate > 0 && rate <= 1)) {
    throw new RangeError(`circuit breaker ${resolved.name}: failureRateThreshold must be in (0, 1], got ${rate}`);
  }
  return resolved;
}

function requirePositiveInteger(name: string, key: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`circuit breaker ${name}: ${key} must be a whole number ≥ 1, got ${value}`);
  }
}

function withoutUndefined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T;
}
