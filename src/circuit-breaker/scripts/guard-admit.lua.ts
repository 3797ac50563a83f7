import { BREAKER_ADMISSION_LUA } from './breaker-acquire.lua';
import { BREAKER_PRELUDE_LUA } from './breaker-prelude.lua';
import { RATE_RESERVING_LUA } from './rate-reserve.lua';
import { ratePreludeLua } from './rate-prelude.lua';

/**
 * Before a guarded call, in one round trip: the breaker's admission, then the rate budget's
 * reservation, then (for a half-open probe) the permit. A breaker that refuses takes nothing
 * from the budget; a budget that refuses leaves the probe permit to others.
 * KEYS: 1-5 the breaker's, 6-8 the budget's.
 * ARGV: 1 name, 2 history size, 3 permit id, 4 half-open max probes, 5 probe lease ms,
 * 6 retry hint while forced open, 7 reservation id, 8 tokens, 9 configured rpm,
 * 10 configured tpm, 11 budget window ms, 12 longest block ms.
 * Returns the breaker's admission reply (see `admission_reply`) with a 9th field: '' when
 * admitted, 'breaker' or 'budget' for who refused (the retry is then that one's).
 */
export const GUARD_ADMIT_LUA =
  BREAKER_PRELUDE_LUA +
  BREAKER_ADMISSION_LUA +
  ratePreludeLua(6) +
  RATE_RESERVING_LUA +
  `
local permit_id, max_probes = ARGV[3], tonumber(ARGV[4])
local lease_ms, forced_open_retry_ms = tonumber(ARGV[5]), tonumber(ARGV[6])

local now = redis_now_ms()
local breaker = load_breaker()
advance(breaker, now)
local allowed, probe, retry_in_ms = breaker_admission(breaker, now, max_probes, forced_open_retry_ms)
local refused_by = ''
if allowed == 0 then
  refused_by = 'breaker'
else
  local granted, wait_ms = rate_reserve(now, ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12]))
  if granted == 0 then
    allowed, probe, retry_in_ms, refused_by = 0, 0, wait_ms, 'budget'
  elseif probe == 1 then
    take_probe_permit(permit_id, now, lease_ms)
  end
end
local reply = admission_reply(breaker, now, allowed, probe, retry_in_ms)
reply[9] = refused_by
return reply
`;
