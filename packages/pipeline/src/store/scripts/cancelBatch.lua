--[[
  Cancels a batch (for good); a second cancel may add --drop-in-flight but never takes it back.

  Input:
    KEYS[1]     batch control hash
    ARGV[1]     drop in flight ('1'/'0')
    ARGV[2]     now (ms)
    ARGV[3]     deadline (ms, Redis server clock; '' for none)

  Output:
    1 when the state changed, 0 when not, -1 past the deadline
]]
--- @include "includes/pastDeadline"
if pastDeadline(ARGV[3]) then return -1 end
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'cancelled' and (ARGV[1] == '0' or redis.call('HGET', KEYS[1], 'dropInFlight') == '1') then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'dropInFlight', ARGV[1], 'at', ARGV[2])
return 1
