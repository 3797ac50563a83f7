import { RATE_PRELUDE_LUA } from './rate-prelude.lua';

/**
 * Replaces a reservation's estimated tokens with the tokens the provider reported, if the
 * reservation is still in the window (once it has left, it no longer matters).
 * ARGV: 1 reservation id, 2 actual tokens. Returns 1 if corrected, 0 if already gone.
 */
export const RATE_SETTLE_LUA = RATE_PRELUDE_LUA + `
local id, actual = ARGV[1], tonumber(ARGV[2])
local reserved = tonumber(redis.call('HGET', TOKENS, id))
if not reserved then return 0 end
redis.call('HSET', TOKENS, id, actual)
redis.call('HINCRBY', TOKENS, TOTAL_FIELD, actual - reserved)
return 1
`;
