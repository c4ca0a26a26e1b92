--[[
  Makes the submit queue wait for a provider slot (the Lua half of store/submit-queue-wake.ts): sets the limiter key (KEYS[3]) to the marker
  (ARGV[4]) for ARGV[5] ms, unless a provider rate limit holds it (queue.rateLimit's value,
  above the marker: then that one stands). Also notes when the wait began in the cap hash
  (KEYS[2], ARGV[2]). The limiter's own count (BullMQ adds one per job started, up to its max,
  which is effectively none here) is replaced: it holds the key most of the time the queue is
  busy, and left standing it would keep the queue from waiting for a release.
]]
local function waitForSlot()
  redis.call('HSET', KEYS[2], 'waitingAt', ARGV[2])
  if KEYS[3] == nil or tonumber(ARGV[5]) <= 0 then return end
  local current = tonumber(redis.call('GET', KEYS[3]) or '')
  if current and current > tonumber(ARGV[4]) and redis.call('PTTL', KEYS[3]) > 0 then return end
  redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
end
