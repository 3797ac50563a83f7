/** Redis time in epoch ms: every script decides on the server's clock, never a client's. */
export const REDIS_TIME_LUA = `
local function redis_now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
`;
