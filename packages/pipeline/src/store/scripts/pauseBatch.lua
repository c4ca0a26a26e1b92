--[[
  Pauses a batch unless cancelled; a user pause replaces a budget pause, a budget pause never
  replaces a user one (it would be lifted by `veoq budget`).

  Input:
    KEYS[1]     batch control hash
    ARGV[1]     reason
    ARGV[2]     now (ms)
    ARGV[3]     deadline (ms, Redis server clock; '' for none)

  Output:
    1 when the state changed, 0 when not, -1 past the deadline
]]
--- @include "includes/pastDeadline"
if pastDeadline(ARGV[3]) then return -1 end
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'cancelled' then return 0 end
if state == 'paused' then
  local reason = redis.call('HGET', KEYS[1], 'reason')
  if reason == ARGV[1] or reason == 'user' then return 0 end
end
redis.call('HSET', KEYS[1], 'state', 'paused', 'reason', ARGV[1], 'at', ARGV[2])
return 1
