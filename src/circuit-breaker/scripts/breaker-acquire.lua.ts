import { BREAKER_PRELUDE_LUA } from './breaker-prelude.lua';

/**
 * Functions of admission, shared by the acquire script and the guard's admit script (after
 * the breaker prelude). `breaker_admission` decides without taking a permit, so a caller can
 * still refuse for another reason (the rate budget) before taking one.
 */
export const BREAKER_ADMISSION_LUA = `
-- Returns allowed (0/1), probe (0/1), retry in ms. Half-open admits at most max_probes callers at once.
local function breaker_admission(breaker, now, max_probes, forced_open_retry_ms)
  if breaker.forced == 'open' then return 0, 0, forced_open_retry_ms end
  if breaker.state == 'closed' then return 1, 0, 0 end
  if breaker.state == 'open' then return 0, 0, breaker.next_probe_at - now end
  if redis.call('ZCARD', PROBES) < max_probes then return 1, 1, 0 end
  local earliest_lease_end = tonumber(redis.call('ZRANGE', PROBES, 0, 0, 'WITHSCORES')[2])
  return 0, 0, earliest_lease_end - now
end

local function take_probe_permit(permit_id, now, lease_ms)
  redis.call('ZADD', PROBES, now + lease_ms, permit_id)
end

-- { allowed, probe, state, forced, retry in ms, Redis now, transitions, open cause }
local function admission_reply(breaker, now, allowed, probe, retry_in_ms)
  return { allowed, probe, breaker.state, breaker.forced, math.max(retry_in_ms, 0), now, transitions, breaker.open_cause or '' }
end
`;

/**
 * Admits a call or not; a half-open probe holds a leased permit.
 * ARGV (after the prelude's): 3 permit id, 4 half-open max probes, 5 probe lease ms,
 * 6 retry hint while forced open.
 * Returns { allowed, probe, state, forced, retry in ms, Redis now, transitions, open cause }.
 */
export const BREAKER_ACQUIRE_LUA =
  BREAKER_PRELUDE_LUA +
  BREAKER_ADMISSION_LUA +
  `
local permit_id, max_probes = ARGV[3], tonumber(ARGV[4])
local lease_ms, forced_open_retry_ms = tonumber(ARGV[5]), tonumber(ARGV[6])

local now = redis_now_ms()
local breaker = load_breaker()
advance(breaker, now)
local allowed, probe, retry_in_ms = breaker_admission(breaker, now, max_probes, forced_open_retry_ms)
if probe == 1 then take_probe_permit(permit_id, now, lease_ms) end
return admission_reply(breaker, now, allowed, probe, retry_in_ms)
`;
