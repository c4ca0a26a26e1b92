--[[
  Marks one more enqueue running on a batch (a marker older than an hour is an enqueue that
  died, and is reset first): batch.completed waits for the end of every enqueue.

  Input:
    KEYS[1]     batch record hash
    ARGV[1]     now (ms)

  Output:
    1
]]
--- @include "includes/enqueueRunning"
local since = tonumber(redis.call('HGET', KEYS[1], 'enqueuingAt') or '0')
if tonumber(ARGV[1]) - since >= ENQUEUE_MARKER_MAX_AGE_MS then redis.call('HSET', KEYS[1], 'enqueuing', 0) end
redis.call('HINCRBY', KEYS[1], 'enqueuing', 1)
redis.call('HSET', KEYS[1], 'enqueuingAt', ARGV[1])
return 1
