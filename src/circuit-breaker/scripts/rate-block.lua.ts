import { RATE_PRELUDE_LUA } from './rate-prelude.lua';

/**
 * Refuses every reservation for block_ms from now (Redis time); a longer block already in
 * place is kept. ARGV: 1 block ms. Returns the end of the block (epoch ms).
 */
export const RATE_BLOCK_LUA = RATE_PRELUDE_LUA + `
local until_ms = redis_now_ms() + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', LIMITS, 'blockedUntil')) or 0
if until_ms > current then
  redis.call('HSET', LIMITS, 'blockedUntil', until_ms)
  return until_ms
end
return current
`;
