/**
 * Lua shared by the rate-budget scripts, naming the budget's three keys from KEYS[first]:
 * log (zset: reservation id -> granted at, ms), tokens (hash: reservation id -> tokens, plus
 * TOTAL_FIELD = tokens of every reservation in the log), limits (hash: learnedRpm,
 * learnedTpm, blockedUntil). The budget's own scripts pass 1; the guard's scripts, whose
 * first five keys are the breaker's, pass 6. Needs `redis_now_ms` (REDIS_TIME_LUA) before it.
 */
export function ratePreludeLua(firstKey: number): string {
  return `
local LOG, TOKENS, LIMITS = KEYS[${firstKey}], KEYS[${firstKey + 1}], KEYS[${firstKey + 2}]
local TOTAL_FIELD = '__total'
`;
}
