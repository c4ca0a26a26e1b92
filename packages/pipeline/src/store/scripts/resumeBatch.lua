--[[
  Lifts a batch's pause (any reason, or only the given one).

  Input:
    KEYS[1]     batch control hash
    ARGV[1]     reason, or '' for any
    ARGV[2]     deadline (ms, Redis server clock; '' for none)

  Output:
    1 when the batch was paused and now runs, 0 when not, -1 past the deadline
]]
--- @include "includes/pastDeadline"
if pastDeadline(ARGV[2]) then return -1 end
if redis.call('HGET', KEYS[1], 'state') ~= 'paused' then return 0 end
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'reason') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
