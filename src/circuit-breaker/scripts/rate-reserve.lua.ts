import { REDIS_TIME_LUA } from './redis-time.lua';
import { ratePreludeLua } from './rate-prelude.lua';

/**
 * `rate_reserve` (after the rate prelude). Sliding-window log: grants a request of `tokens`
 * if the requests and tokens granted in the last window_ms leave room for it under the
 * effective limits (the lower of configured and learned; 0 = no limit), else says how long
 * until enough of the window has slid past. A request above the whole tokens-per-minute
 * limit is granted alone, once no tokens are in the window. A block (Retry-After) refuses
 * everything until it ends; a block longer than max_block_ms from now (written under a
 * larger cap) is cut down to it. Returns granted (0/1), wait ms.
 */
export const RATE_RESERVING_LUA = `
local function rate_reserve(now, id, tokens, configured_rpm, configured_tpm, window_ms, max_block_ms)
  local limits = redis.call('HMGET', LIMITS, 'learnedRpm', 'learnedTpm', 'blockedUntil')
  local blocked_until = tonumber(limits[3]) or 0
  if blocked_until > now + max_block_ms then
    blocked_until = now + max_block_ms
    redis.call('HSET', LIMITS, 'blockedUntil', blocked_until)
  end
  if blocked_until > now then return 0, blocked_until - now end

  local function effective(configured, learned)
    learned = tonumber(learned) or 0
    if configured > 0 and learned > 0 then return math.min(configured, learned) end
    return math.max(configured, learned)
  end
  local rpm, tpm = effective(configured_rpm, limits[1]), effective(configured_tpm, limits[2])

  -- A reservation granted at t is in the window while now < t + window_ms.
  local horizon = now - window_ms
  local freed = 0
  for _, expired in ipairs(redis.call('ZRANGEBYSCORE', LOG, '-inf', horizon)) do
    freed = freed + (tonumber(redis.call('HGET', TOKENS, expired)) or 0)
    redis.call('HDEL', TOKENS, expired)
  end
  redis.call('ZREMRANGEBYSCORE', LOG, '-inf', horizon)
  local requests = redis.call('ZCARD', LOG)
  local used = 0
  if requests == 0 then
    redis.call('DEL', TOKENS)
  elseif freed > 0 then
    used = redis.call('HINCRBY', TOKENS, TOTAL_FIELD, -freed)
  else
    used = tonumber(redis.call('HGET', TOKENS, TOTAL_FIELD)) or 0
  end

  local function wait_for_entry(rank)
    local entry = redis.call('ZRANGE', LOG, rank, rank, 'WITHSCORES')
    return 0, math.max(tonumber(entry[2]) + window_ms - now, 1)
  end

  if rpm > 0 and requests >= rpm then return wait_for_entry(requests - rpm) end
  if tpm > 0 and used > 0 then
    if tokens > tpm then return wait_for_entry(-1) end
    local excess = used + tokens - tpm
    if excess > 0 then
      -- Walk from the oldest until enough tokens have left the window.
      local rank, released = 0, 0
      while rank < requests do
        local batch = redis.call('ZRANGE', LOG, rank, rank + 99)
        for i, entry in ipairs(batch) do
          released = released + (tonumber(redis.call('HGET', TOKENS, entry)) or 0)
          if released >= excess then return wait_for_entry(rank + i - 1) end
        end
        rank = rank + #batch
      end
      return wait_for_entry(-1)
    end
  end

  redis.call('ZADD', LOG, now, id)
  redis.call('HSET', TOKENS, id, tokens)
  redis.call('HINCRBY', TOKENS, TOTAL_FIELD, tokens)
  -- Everything in the log has left the window one window after the newest grant.
  redis.call('PEXPIRE', LOG, window_ms)
  redis.call('PEXPIRE', TOKENS, window_ms)
  return 1, 0
end
`;

/**
 * ARGV: 1 reservation id, 2 tokens, 3 configured rpm, 4 configured tpm, 5 window ms, 6 longest block ms.
 * Returns { granted (0/1), wait ms }.
 */
export const RATE_RESERVE_LUA =
  REDIS_TIME_LUA +
  ratePreludeLua(1) +
  RATE_RESERVING_LUA +
  `
local granted, wait_ms = rate_reserve(redis_now_ms(), ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
return { granted, wait_ms }
`;
