--[[
  Lifts a batch's pause (any reason, or only the given one), adding its length to `pausedMs`.

  Input:
    KEYS[1]     batch control hash
    ARGV[1]     reason, or '' for any
    ARGV[2]     deadline (ms, Redis server clock; '' for none)
    ARGV[3]     now (ms): when the pause ends

  Output:
    1 when the batch was paused and now runs, 0 when not, -1 past the deadline
]]
--- @include "includes/pastDeadline"
--- @include "includes/endPause"
if pastDeadline(ARGV[2]) then return -1 end
if redis.call('HGET', KEYS[1], 'state') ~= 'paused' then return 0 end
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'reason') ~= ARGV[1] then return 0 end
endPause(KEYS[1], tonumber(ARGV[3]))
return 1
