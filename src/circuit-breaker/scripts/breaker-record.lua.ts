import { BREAKER_PRELUDE_LUA } from './breaker-prelude.lua';

/**
 * `breaker_record`, shared by the record script and the guard's finish script (after the
 * breaker prelude): records how an admitted call ended ('success', 'failure' or 'ignored')
 * and makes the transition it causes. Only a live permit speaks for half-open: a call
 * admitted before the breaker opened, or a probe whose lease expired, changes no state there.
 * A failure with an `at_once` cause (e.g. 'credentials_rejected') opens a closed breaker
 * without waiting for the threshold, and is kept as `openCause` until the breaker closes.
 * It reads its 10 arguments from ARGV[first ..]: outcome, permit id or '', error message,
 * failure threshold, success threshold, recovery timeout ms, failure-rate threshold (0 = off),
 * minimum calls, rate window ms, at-once cause or ''.
 */
export const BREAKER_RECORDING_LUA = `
local function breaker_record(breaker, now, first)
  local outcome, permit_id, error_message = ARGV[first], ARGV[first + 1], ARGV[first + 2]
  local failure_threshold, success_threshold = tonumber(ARGV[first + 3]), tonumber(ARGV[first + 4])
  local recovery_timeout_ms, failure_rate_threshold = tonumber(ARGV[first + 5]), tonumber(ARGV[first + 6])
  local minimum_calls, window_ms, at_once = tonumber(ARGV[first + 7]), tonumber(ARGV[first + 8]), ARGV[first + 9]

  local live_probe = permit_id ~= '' and redis.call('ZREM', PROBES, permit_id) == 1
  redis.call('SADD', REGISTRY, NAME)

  local function trip(reason, cause)
    redis.call('HSET', STATE, 'openedAt', now, 'nextProbeAt', now + recovery_timeout_ms, 'halfOpenSuccesses', 0, 'openCause', cause)
    breaker.open_cause = cause
    redis.call('DEL', PROBES, WINDOW)
    record_transition(breaker, 'open', now, reason)
  end

  local function close(reason)
    redis.call('HSET', STATE, 'consecutiveFailures', 0, 'halfOpenSuccesses', 0)
    redis.call('HDEL', STATE, 'openedAt', 'nextProbeAt')
    redis.call('DEL', PROBES, WINDOW)
    record_transition(breaker, 'closed', now, reason)
  end

  local function count_in_window(failed)
    local bucket_ms = math.max(1, math.floor(window_ms / 10))
    local bucket = now - (now % bucket_ms)
    redis.call('HSET', STATE, 'windowMs', window_ms)
    redis.call('HINCRBY', WINDOW, 'c:' .. bucket, 1)
    if failed then redis.call('HINCRBY', WINDOW, 'f:' .. bucket, 1) end
    return window_totals(now, window_ms, true)
  end

  local function record_closed()
    local calls, failures = count_in_window(outcome == 'failure')
    if outcome == 'success' then
      redis.call('HSET', STATE, 'consecutiveFailures', 0)
      return
    end
    local consecutive = redis.call('HINCRBY', STATE, 'consecutiveFailures', 1)
    if breaker.forced == 'closed' then return end
    if at_once ~= '' then
      trip(error_message, at_once)
    elseif consecutive >= failure_threshold then
      trip(consecutive .. ' consecutive failures', 'failures')
    elseif failure_rate_threshold > 0 and calls >= minimum_calls and failures / calls >= failure_rate_threshold then
      trip(failures .. ' of ' .. calls .. ' calls failed in the window', 'failures')
    end
  end

  local function record_probe()
    if outcome == 'failure' then
      if at_once ~= '' then trip('probe failed: ' .. error_message, at_once) else trip('probe failed', 'failures') end
      return
    end
    local successes = redis.call('HINCRBY', STATE, 'halfOpenSuccesses', 1)
    if successes >= success_threshold then close(successes .. ' probe(s) succeeded') end
  end

  if outcome == 'failure' then
    redis.call('HSET', STATE, 'lastError', error_message, 'lastErrorAt', now)
  end
  if outcome ~= 'ignored' and breaker.forced ~= 'open' then
    if breaker.state == 'closed' then
      record_closed()
    elseif breaker.state == 'half_open' and live_probe then
      record_probe()
    end
  end
end
`;

/**
 * Records how an admitted call ended. ARGV (after the prelude's): 3..12 as `breaker_record` reads them.
 * Returns { state, transitions }.
 */
export const BREAKER_RECORD_LUA =
  BREAKER_PRELUDE_LUA +
  BREAKER_RECORDING_LUA +
  `
local now = redis_now_ms()
local breaker = load_breaker()
advance(breaker, now)
breaker_record(breaker, now, 3)
return { breaker.state, transitions }
`;
