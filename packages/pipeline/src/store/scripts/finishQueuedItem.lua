--[[
  Like finishItem.lua for an item that never got a task (no flagged files, no item event), but
  only while it is still `queued`: a worker may have taken it meanwhile, and then it finishes
  normally (`veoq cancel`). Writes batch.completed to the outbox when this made every item final.

  Input:
    KEYS[1]     item results hash
    KEYS[2]     item states hash
    KEYS[3]     batch record hash
    KEYS[4]     batch webhook outbox
    KEYS[5..]   state sets, in ITEM_STATES order
    ARGV[1]     custom id
    ARGV[2]     result JSON
    ARGV[3]     final state
    ARGV[4]     now (ms)
    ARGV[5]     state names JSON
    ARGV[6]     batch id
    ARGV[7]     the outboxes' wake-up channel (emitBatchEvent)

  Output:
    -1 when the item had moved on, else the number of outbox entries written (0 or 1)
]]
--- @include "includes/stateSets"
--- @include "includes/emitBatchEvent"
--- @include "includes/enqueueRunning"
--- @include "includes/noteBatchFinished"
webhookWakeChannel = ARGV[7]
loadStateSets(5, ARGV[5])
if redis.call('HGET', KEYS[2], ARGV[1]) ~= 'queued' then return -1 end
local wasFinished = redis.call('HEXISTS', KEYS[3], 'finishedAt')
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[3], 'state:queued', -1)
redis.call('HINCRBY', KEYS[3], 'state:' .. ARGV[3], 1)
move(ARGV[1], 'queued', ARGV[3])
return noteBatchFinished(KEYS[3], KEYS[2], KEYS[4], ARGV[6], ARGV[4], wasFinished)
