--[[
  Takes one of a provider account's in-flight slots if one is free (idempotent per holder);
  else makes the submit queue wait for a release (store/provider-slots.ts `acquire`).

  Input:
    KEYS[1]     slot holders sorted set of the account
    KEYS[2]     cap hash of the account
    KEYS[3]     the submit queue's BullMQ limiter key (optional)
    ARGV[1]     holder "<batch>~<custom>~<n>"
    ARGV[2]     now (ms)
    ARGV[3]     configured maximum
    ARGV[4]     slot-wait marker
    ARGV[5]     wait (ms)

  Output:
    the slots held with this one, or 0 when none was free
]]
--- @include "includes/waitForSlot"
-- The cap and the configured maximum in one read; the maximum is written only when it changed.
local caps = redis.call('HMGET', KEYS[2], 'cap', 'max')
if caps[2] ~= ARGV[3] then redis.call('HSET', KEYS[2], 'max', ARGV[3]) end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return redis.call('ZCARD', KEYS[1]) end
local cap = tonumber(caps[1] or ARGV[3])
if cap > tonumber(ARGV[3]) then cap = tonumber(ARGV[3]) end
local held = redis.call('ZCARD', KEYS[1])
if held < math.max(1, math.floor(cap)) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  return held + 1
end
waitForSlot()
return 0
