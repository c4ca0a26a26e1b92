--[[
  Ends one enqueue. When it succeeded and the batch's enqueue is complete (no enqueue mark), a
  batch whose items all became final while it ran (or while the manifest was only partly in,
  `completionDeferred`) is finished now: `finishedAt` is stamped if no finish did, and, when this
  was the last enqueue running, its batch.completed is written (else the last one writes it).

  Input:
    KEYS[1]     batch record hash
    KEYS[2]     batch webhook outbox
    KEYS[3]     item states hash
    ARGV[1]     now (ms)
    ARGV[2]     batch id
    ARGV[3]     '1' when the enqueue succeeded

  Output:
    the number of outbox entries written (0 or 1)
]]
--- @include "includes/emitBatchEvent"
--- @include "includes/enqueueRunning"
local others = tonumber(redis.call('HINCRBY', KEYS[1], 'enqueuing', -1))
if others <= 0 then redis.call('HDEL', KEYS[1], 'enqueuing', 'enqueuingAt') end
if ARGV[3] ~= '1' or enqueueIncomplete(KEYS[1]) then return 0 end
if redis.call('HGET', KEYS[1], 'completionDeferred') ~= '1' then return 0 end
local done = tonumber(redis.call('HGET', KEYS[1], 'state:completed') or '0')
  + tonumber(redis.call('HGET', KEYS[1], 'state:failed') or '0')
  + tonumber(redis.call('HGET', KEYS[1], 'state:cancelled') or '0')
local total = redis.call('HLEN', KEYS[3])
if total == 0 or done < total then
  if others <= 0 then redis.call('HDEL', KEYS[1], 'completionDeferred') end
  return 0
end
redis.call('HSETNX', KEYS[1], 'finishedAt', ARGV[1])
if others > 0 then return 0 end
redis.call('HDEL', KEYS[1], 'completionDeferred')
emitBatchEvent(KEYS[1], KEYS[2], ARGV[2], 'batch.completed', nil, ARGV[1])
return 1
