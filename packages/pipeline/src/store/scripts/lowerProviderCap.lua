--[[
  A concurrency 429: the account's cap settles at the other slots held when the refused create
  was sent (ARGV[1]; else at the slots held now), at least 1 and never above the current cap,
  and the submit queue waits for a release (store/provider-slots.ts `settleCap`).

  Input:
    KEYS[1]     slot holders sorted set of the account
    KEYS[2]     cap hash of the account
    KEYS[3]     the submit queue's BullMQ limiter key (optional)
    ARGV[1]     slots held at the create, or ''
    ARGV[2]     now (ms)
    ARGV[3]     configured maximum
    ARGV[4]     slot-wait marker
    ARGV[5]     wait (ms)

  Output:
    the cap (a string)
]]
--- @include "includes/waitForSlot"
local cap = math.min(tonumber(redis.call('HGET', KEYS[2], 'cap') or ARGV[3]), tonumber(ARGV[3]))
local measured = redis.call('ZCARD', KEYS[1])
if ARGV[1] ~= '' then measured = tonumber(ARGV[1]) - 1 end
cap = math.max(1, math.min(cap, measured))
redis.call('HSET', KEYS[2], 'cap', tostring(cap), 'settledAt', ARGV[2])
waitForSlot()
return tostring(cap)
