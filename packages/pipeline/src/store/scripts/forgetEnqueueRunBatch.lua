--[[
  Takes a batch off the enqueue-run watch (store/batches.ts finishDeferredCompletions) only if
  its entry is still the one the sweep read: a run begun since then moved its time, and stays
  watched.

  Input:
    KEYS[1]     enqueue-run watch (sorted set: batch id -> when its latest run stops counting)
    ARGV[1]     batch id
    ARGV[2]     the score the sweep read

  Output:
    1 when removed, else 0
]]
if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '-1') ~= tonumber(ARGV[2]) then return 0 end
return redis.call('ZREM', KEYS[1], ARGV[1])
