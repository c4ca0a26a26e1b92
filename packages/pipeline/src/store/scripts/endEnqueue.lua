--[[
  Ends one enqueue; when it was the last and it succeeded, writes the batch.completed that
  finishes deferred while it ran, if the batch is still finished.

  Input:
    KEYS[1]     batch record hash
    KEYS[2]     batch webhook outbox
    ARGV[1]     now (ms)
    ARGV[2]     batch id
    ARGV[3]     '1' when the enqueue succeeded

  Output:
    the number of outbox entries written (0 or 1)
]]
--- @include "includes/emitBatchEvent"
if tonumber(redis.call('HINCRBY', KEYS[1], 'enqueuing', -1)) > 0 then return 0 end
redis.call('HDEL', KEYS[1], 'enqueuing', 'enqueuingAt')
if ARGV[3] ~= '1' or redis.call('HGET', KEYS[1], 'completionDeferred') ~= '1' then return 0 end
redis.call('HDEL', KEYS[1], 'completionDeferred')
if redis.call('HEXISTS', KEYS[1], 'finishedAt') == 0 then return 0 end
emitBatchEvent(KEYS[1], KEYS[2], ARGV[2], 'batch.completed', nil, ARGV[1])
return 1
