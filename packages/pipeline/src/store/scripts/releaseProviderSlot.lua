--[[
  Frees a provider slot; when this call freed it, wakes a waiting submit queue.

  Input:
    KEYS[1]     slot holders sorted set of the account
    KEYS[2]     cap hash of the account
    KEYS[3]     the submit queue's BullMQ limiter key (optional)
    KEYS[4]     the submit queue's BullMQ marker key (optional, only with KEYS[3])
    ARGV[1]     holder
    ARGV[2]     unused
    ARGV[3]     slot-wait marker

  Output:
    1 when the slot was freed here, else 0
]]
--- @include "includes/wakeSubmitQueue"
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
wake()
return 1
