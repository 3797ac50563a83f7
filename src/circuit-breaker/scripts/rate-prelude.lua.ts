/**
 * Lua shared by the rate-budget scripts (prepended to each one).
 * KEYS: 1 log (zset: reservation id -> granted at, ms), 2 tokens (hash: reservation id ->
 * tokens, plus TOTAL_FIELD = tokens of every reservation in the log), 3 limits (hash:
 * learnedRpm, learnedTpm, blockedUntil).
 */
export const RATE_PRELUDE_LUA = `
local LOG, TOKENS, LIMITS = KEYS[1], KEYS[2], KEYS[3]
local TOTAL_FIELD = '__total'

local function redis_now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
`;
