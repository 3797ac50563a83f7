import { BREAKER_PRELUDE_LUA } from './breaker-prelude.lua';

/**
 * Operator actions: 'force_open' and 'force_closed' (sticky until 'release'), 'release'
 * (forced open resumes through half-open, forced closed resumes closed), 'reset' (closed,
 * counters and forcing cleared; the history stays).
 * ARGV (after the prelude's): 3 action, 4 reason ('' for none).
 * Returns { state, transitions }.
 */
export const BREAKER_CONTROL_LUA =
  BREAKER_PRELUDE_LUA +
  `
local action, reason = ARGV[3], ARGV[4]
local now = redis_now_ms()
local breaker = load_breaker()
redis.call('SADD', REGISTRY, NAME)

local function because(what)
  if reason == '' then return what end
  return what .. ': ' .. reason
end

local function clear_counters()
  redis.call('HSET', STATE, 'consecutiveFailures', 0, 'halfOpenSuccesses', 0)
  redis.call('DEL', PROBES, WINDOW)
end

if action == 'force_open' then
  if breaker.state ~= 'open' then redis.call('HSET', STATE, 'openedAt', now) end
  breaker.forced = 'open'
  redis.call('HSET', STATE, 'forced', 'open', 'forcedReason', reason)
  redis.call('HDEL', STATE, 'nextProbeAt')
  redis.call('DEL', PROBES)
  record_transition(breaker, 'open', now, because('forced open'))
elseif action == 'force_closed' then
  breaker.forced = 'closed'
  redis.call('HSET', STATE, 'forced', 'closed', 'forcedReason', reason)
  redis.call('HDEL', STATE, 'openedAt', 'nextProbeAt')
  clear_counters()
  record_transition(breaker, 'closed', now, because('forced closed'))
elseif action == 'release' and breaker.forced ~= '' then
  local was_forced_open = breaker.forced == 'open'
  breaker.forced = ''
  redis.call('HDEL', STATE, 'forced', 'forcedReason', 'nextProbeAt')
  clear_counters()
  if was_forced_open then
    record_transition(breaker, 'half_open', now, because('released'))
  else
    record_transition(breaker, 'closed', now, because('released'))
  end
elseif action == 'reset' then
  breaker.forced = ''
  redis.call('HDEL', STATE, 'forced', 'forcedReason', 'openedAt', 'nextProbeAt', 'lastError', 'lastErrorAt')
  clear_counters()
  record_transition(breaker, 'closed', now, because('reset'))
end
return { breaker.state, transitions }
`;
