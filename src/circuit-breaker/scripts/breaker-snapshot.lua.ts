import { BREAKER_PRELUDE_LUA } from './breaker-prelude.lua';

/**
 * Reads a breaker without changing it. An open breaker whose recovery timeout has passed
 * reads as half-open: the next acquire makes that transition.
 * Returns the snapshot as JSON (absent fields are left out).
 */
export const BREAKER_SNAPSHOT_LUA =
  BREAKER_PRELUDE_LUA +
  `
local now = redis_now_ms()
local breaker = load_breaker()
local state = breaker.state
if recovery_due(breaker, now) then state = 'half_open' end
local calls, failures = window_totals(now, breaker.window_ms, false)
local last_error = nil
if breaker.last_error then last_error = { message = breaker.last_error, at = breaker.last_error_at } end
return cjson.encode({
  name = NAME, state = state, forced = breaker.forced, forcedReason = breaker.forced_reason,
  consecutiveFailures = breaker.consecutive_failures, halfOpenSuccesses = breaker.half_open_successes,
  windowCalls = calls, windowFailures = failures, windowMs = breaker.window_ms,
  openedAt = breaker.opened_at, nextProbeAt = breaker.next_probe_at,
  lastError = last_error, openCause = breaker.open_cause,
  probesInFlight = redis.call('ZCOUNT', PROBES, '(' .. now, '+inf'),
  transitions = breaker.transitions, at = now,
})
`;
