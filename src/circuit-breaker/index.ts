export { CircuitBreaker, type CircuitBreakerEvents } from './circuit-breaker';
export { BREAKER_DEFAULTS, type CircuitBreakerOptions } from './breaker-options';
export { BreakerOpenError } from './breaker-open-error';
export type { Admission, BreakerSnapshot, BreakerState, BreakerTransition, ForcedState } from './breaker-types';
export { listBreakers, readBreakerHistory, readBreakerSnapshot } from './breaker-inspection';
export { breakerKeys, type BreakerKeys } from './breaker-keys';
export { RateBudget, type RateBudgetOptions, type RateLimits, type Reservation } from './rate-budget';
export { readRateLimitHeaders, type HeaderSource, type ProviderRateLimits } from './rate-limit-headers';
