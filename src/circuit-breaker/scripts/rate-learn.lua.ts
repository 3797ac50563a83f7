import { REDIS_TIME_LUA } from './redis-time.lua';
import { ratePreludeLua } from './rate-prelude.lua';

/**
 * `rate_block` and `rate_learn` (after the rate prelude), what a provider's answer teaches.
 * rate_block refuses every reservation for min(block_ms, max_block_ms) from now: however long
 * a Retry-After or a reset header asks, the budget probes again after the cap. A longer block
 * already in place is kept. Returns the end of the block (epoch ms).
 * rate_learn stores the limits the provider's headers named ('' = unchanged, not written).
 */
export const RATE_LEARNING_LUA = `
local function rate_block(now, block_ms, max_block_ms)
  local until_ms = now + math.min(block_ms, max_block_ms)
  local current = tonumber(redis.call('HGET', LIMITS, 'blockedUntil')) or 0
  if until_ms > current then
    redis.call('HSET', LIMITS, 'blockedUntil', until_ms)
    return until_ms
  end
  return current
end

local function rate_learn(learned_rpm, learned_tpm)
  if learned_rpm ~= '' then redis.call('HSET', LIMITS, 'learnedRpm', learned_rpm) end
  if learned_tpm ~= '' then redis.call('HSET', LIMITS, 'learnedTpm', learned_tpm) end
end
`;

/** ARGV: 1 learned rpm or '', 2 learned tpm or '', 3 block ms (0 = none), 4 longest block ms. Returns the end of the block, or 0. */
export const RATE_LEARN_LUA =
  REDIS_TIME_LUA +
  ratePreludeLua(1) +
  RATE_LEARNING_LUA +
  `
rate_learn(ARGV[1], ARGV[2])
if tonumber(ARGV[3]) > 0 then return rate_block(redis_now_ms(), tonumber(ARGV[3]), tonumber(ARGV[4])) end
return 0
`;
