import { REDIS_TIME_LUA } from './redis-time.lua';
import { ratePreludeLua } from './rate-prelude.lua';

/**
 * `rate_settle` (after the rate prelude). The provider answered a reservation: its tokens
 * become what the provider reported, and it is counted from now, the time of the answer,
 * instead of from its grant. The provider counts the request from when it received it, which
 * is between the two; counted from the grant, our window would empty before the provider's
 * and admit a request it refuses. A reservation that has already left the window is left
 * alone. Returns 1 if settled, 0 if already gone.
 */
export const RATE_SETTLING_LUA = `
local function rate_settle(now, id, actual, window_ms)
  local reserved = tonumber(redis.call('HGET', TOKENS, id))
  if not reserved then return 0 end
  redis.call('ZADD', LOG, 'XX', now, id)
  redis.call('HSET', TOKENS, id, actual)
  redis.call('HINCRBY', TOKENS, TOTAL_FIELD, actual - reserved)
  redis.call('PEXPIRE', LOG, window_ms)
  redis.call('PEXPIRE', TOKENS, window_ms)
  return 1
end
`;

/** ARGV: 1 reservation id, 2 actual tokens, 3 window ms. Returns 1 if settled, 0 if already gone. */
export const RATE_SETTLE_LUA =
  REDIS_TIME_LUA +
  ratePreludeLua(1) +
  RATE_SETTLING_LUA +
  `
return rate_settle(redis_now_ms(), ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
`;
