import { REDIS_TIME_LUA } from './redis-time.lua';

/**
 * Lua shared by every breaker script (prepended to each one).
 * KEYS: 1 state hash, 2 probe leases (zset: permit id -> lease end, ms), 3 failure-rate
 * window (hash of per-bucket counters), 4 history list (newest first), 5 registry set.
 * ARGV: 1 breaker name, 2 history size; each script's own arguments follow.
 */
export const BREAKER_PRELUDE_LUA =
  REDIS_TIME_LUA +
  `
local STATE, PROBES, WINDOW, HISTORY, REGISTRY = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local NAME, HISTORY_SIZE = ARGV[1], tonumber(ARGV[2])
local transitions = {}

-- Missing keys read as a closed breaker with zero counters: losing Redis starts closed.
local function load_breaker()
  local f = redis.call('HMGET', STATE, 'state', 'forced', 'forcedReason', 'openedAt', 'nextProbeAt',
    'consecutiveFailures', 'halfOpenSuccesses', 'lastError', 'lastErrorAt', 'transitions', 'windowMs', 'openCause')
  return {
    state = f[1] or 'closed', forced = f[2] or '', forced_reason = f[3] or nil,
    opened_at = tonumber(f[4]), next_probe_at = tonumber(f[5]),
    consecutive_failures = tonumber(f[6]) or 0, half_open_successes = tonumber(f[7]) or 0,
    last_error = f[8] or nil, last_error_at = tonumber(f[9]),
    transitions = tonumber(f[10]) or 0, window_ms = tonumber(f[11]) or 60000,
    open_cause = f[12] or nil,
  }
end

local function recovery_due(breaker, now)
  return breaker.state == 'open' and breaker.forced ~= 'open' and now >= (breaker.next_probe_at or 0)
end

-- Writes the new state and keeps the change (also a change of the forced flag alone) in the
-- capped history; the caller returns the entries so its process can emit events.
local function record_transition(breaker, to, now, reason)
  local from = breaker.state
  redis.call('HSET', STATE, 'state', to)
  if from ~= to then redis.call('HINCRBY', STATE, 'transitions', 1) end
  -- Why it opened stays until it closes (through half-open too: a probe decides whether it still holds).
  if to == 'closed' then
    redis.call('HDEL', STATE, 'openCause')
    breaker.open_cause = nil
  end
  local entry = cjson.encode({ breaker = NAME, from = from, to = to, at = now, reason = reason, forced = breaker.forced })
  redis.call('LPUSH', HISTORY, entry)
  redis.call('LTRIM', HISTORY, 0, HISTORY_SIZE - 1)
  breaker.state = to
  transitions[#transitions + 1] = entry
end

-- Open turns half-open once the recovery timeout has passed; leases of probers that never
-- reported expire.
local function advance(breaker, now)
  if recovery_due(breaker, now) then
    redis.call('DEL', PROBES)
    redis.call('HSET', STATE, 'halfOpenSuccesses', 0)
    record_transition(breaker, 'half_open', now, 'recovery timeout elapsed')
  end
  redis.call('ZREMRANGEBYSCORE', PROBES, '-inf', now)
end

-- Calls and failures of the last window_ms, counted in buckets of a tenth of the window.
local function window_totals(now, window_ms, prune)
  local calls, failures = 0, 0
  local fields = redis.call('HGETALL', WINDOW)
  for i = 1, #fields, 2 do
    local field, count = fields[i], tonumber(fields[i + 1])
    if tonumber(string.sub(field, 3)) <= now - window_ms then
      if prune then redis.call('HDEL', WINDOW, field) end
    elseif string.sub(field, 1, 1) == 'c' then
      calls = calls + count
    else
      failures = failures + count
    end
  end
  return calls, failures
end
`;
