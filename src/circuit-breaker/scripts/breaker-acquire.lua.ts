import { BREAKER_PRELUDE_LUA } from './breaker-prelude.lua';

/**
 * Admits a call or not. Half-open admits at most max_probes callers at once, each holding a
 * leased permit.
 * ARGV (after the prelude's): 3 permit id, 4 half-open max probes, 5 probe lease ms,
 * 6 retry hint while forced open.
 * Returns { allowed, probe, state, forced, retry in ms, Redis now, transitions }.
 */
export const BREAKER_ACQUIRE_LUA = BREAKER_PRELUDE_LUA + `
local permit_id, max_probes = ARGV[3], tonumber(ARGV[4])
local lease_ms, forced_open_retry_ms = tonumber(ARGV[5]), tonumber(ARGV[6])

local now = redis_now_ms()
local breaker = load_breaker()
advance(breaker, now)

local function answer(allowed, probe, retry_in_ms)
  return { allowed, probe, breaker.state, breaker.forced, math.max(retry_in_ms, 0), now, transitions }
end

if breaker.forced == 'open' then return answer(0, 0, forced_open_retry_ms) end
if breaker.state == 'closed' then return answer(1, 0, 0) end
if breaker.state == 'open' then return answer(0, 0, breaker.next_probe_at - now) end

if redis.call('ZCARD', PROBES) < max_probes then
  redis.call('ZADD', PROBES, now + lease_ms, permit_id)
  return answer(1, 1, 0)
end
local earliest_lease_end = tonumber(redis.call('ZRANGE', PROBES, 0, 0, 'WITHSCORES')[2])
return answer(0, 0, earliest_lease_end - now)
`;
