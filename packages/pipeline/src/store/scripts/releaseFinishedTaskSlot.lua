--[[
  Frees a finished task's provider slot and, if this call freed it, grows the cap by
  1/(probe rounds x cap) and wakes a waiting submit queue; a re-run after a stall finds the slot
  gone and does not count twice.

  Input:
    KEYS[1]     slot holders sorted set of the account
    KEYS[2]     cap hash of the account
    KEYS[3]     the submit queue's BullMQ limiter key (optional)
    KEYS[4]     the submit queue's BullMQ marker key (optional, only with KEYS[3])
    ARGV[1]     holder
    ARGV[2]     configured maximum
    ARGV[3]     slot-wait marker
    ARGV[4]     probe rounds (PROBE_ROUNDS)

  Output:
    1 when the slot was freed here, else 0
]]
--- @include "includes/wakeSubmitQueue"
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
local cap = tonumber(redis.call('HGET', KEYS[2], 'cap') or ARGV[2])
if cap < tonumber(ARGV[2]) then
  cap = math.min(tonumber(ARGV[2]), cap + 1 / (tonumber(ARGV[4]) * math.max(1, cap)))
  redis.call('HSET', KEYS[2], 'cap', tostring(cap))
end
wake()
return 1
