--[[
  Registers one enqueue run on a batch by its id (see includes/enqueueRunning): batch.completed
  waits for the end of every run that still counts. Runs older than an hour (died) are dropped.

  Input:
    KEYS[1]     batch record hash
    ARGV[1]     now (ms)
    ARGV[2]     run id

  Output:
    the runs that count now, this one included
]]
--- @include "includes/enqueueRunning"
local live, count = liveEnqueueRuns(KEYS[1], ARGV[1])
if live[ARGV[2]] == nil then count = count + 1 end
live[ARGV[2]] = tonumber(ARGV[1])
saveEnqueueRuns(KEYS[1], live, count)
return count
