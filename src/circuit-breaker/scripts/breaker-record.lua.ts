import { BREAKER_PRELUDE_LUA } from './breaker-prelude.lua';

/**
 * Records how an admitted call ended ('success', 'failure' or 'ignored') and makes the
 * transition it causes. Only a live permit speaks for half-open: a call admitted before the
 * breaker opened, or a probe whose lease expired, changes no state there.
 * ARGV (after the prelude's): 3 outcome, 4 permit id or '', 5 error message,
 * 6 failure threshold, 7 success threshold, 8 recovery timeout ms,
 * 9 failure-rate threshold (0 = off), 10 minimum calls, 11 rate window ms.
 * Returns { state, transitions }.
 */
export const BREAKER_RECORD_LUA = BREAKER_PRELUDE_LUA + `
local outcome, permit_id, error_message = ARGV[3], ARGV[4], ARGV[5]
local failure_threshold, success_threshold = tonumber(ARGV[6]), tonumber(ARGV[7])
local recovery_timeout_ms, failure_rate_threshold = tonumber(ARGV[8]), tonumber(ARGV[9])
local minimum_calls, window_ms = tonumber(ARGV[10]), tonumber(ARGV[11])

local now = redis_now_ms()
local breaker = load_breaker()
advance(breaker, now)
local live_probe = permit_id ~= '' and redis.call('ZREM', PROBES, permit_id) == 1
redis.call('SADD', REGISTRY, NAME)

local function trip(reason)
  redis.call('HSET', STATE, 'openedAt', now, 'nextProbeAt', now + recovery_timeout_ms, 'halfOpenSuccesses', 0)
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
  if consecutive >= failure_threshold then
    trip(consecutive .. ' consecutive failures')
  elseif failure_rate_threshold > 0 and calls >= minimum_calls and failures / calls >= failure_rate_threshold then
    trip(failures .. ' of ' .. calls .. ' calls failed in the window')
  end
end

local function record_probe()
  if outcome == 'failure' then
    trip('probe failed')
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
return { breaker.state, transitions }
`;
