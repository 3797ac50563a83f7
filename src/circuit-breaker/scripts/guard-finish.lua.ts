import { BREAKER_PRELUDE_LUA } from './breaker-prelude.lua';
import { BREAKER_RECORDING_LUA } from './breaker-record.lua';
import { RATE_LEARNING_LUA } from './rate-learn.lua';
import { RATE_SETTLING_LUA } from './rate-settle.lua';
import { ratePreludeLua } from './rate-prelude.lua';

/**
 * After a guarded call, in one round trip: the breaker records the outcome, the budget
 * settles the reservation to the tokens that count, stores the limits the provider named
 * (when they changed) and takes the block it asked for (capped).
 * KEYS: 1-5 the breaker's, 6-8 the budget's.
 * ARGV: 1 name, 2 history size, 3-12 as `breaker_record` reads them, 13 reservation id,
 * 14 tokens to settle, 15 budget window ms, 16 learned rpm or '', 17 learned tpm or '',
 * 18 block ms (0 = none), 19 longest block ms.
 * Returns { state, transitions }.
 */
export const GUARD_FINISH_LUA =
  BREAKER_PRELUDE_LUA +
  BREAKER_RECORDING_LUA +
  ratePreludeLua(6) +
  RATE_SETTLING_LUA +
  RATE_LEARNING_LUA +
  `
local now = redis_now_ms()
local breaker = load_breaker()
advance(breaker, now)
breaker_record(breaker, now, 3)
rate_settle(now, ARGV[13], tonumber(ARGV[14]), tonumber(ARGV[15]))
rate_learn(ARGV[16], ARGV[17])
if tonumber(ARGV[18]) > 0 then rate_block(now, tonumber(ARGV[18]), tonumber(ARGV[19])) end
return { breaker.state, transitions }
`;
