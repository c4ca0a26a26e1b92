--[[
  Stores a final item's result, moves it to its final state (forced, counts kept exact) and
  sets or clears the batch's finish time, and keeps the batch's count of flagged files exact (an
  item finished again replaces its old count), in one round trip. In the same step it writes the
  webhook outbox entries of what changed (store/webhook-outbox.ts): item.failed /
  item.completed when the item's state changed and the batch (its `webhookItemEvents`) or the
  account (ARGV[7]) asked for them, batch.completed when this finish made every item final
  (deferred while an enqueue runs).

  Input:
    KEYS[1]     item results hash
    KEYS[2]     item states hash
    KEYS[3]     batch record hash
    KEYS[4]     flagged files hash
    KEYS[5]     batch webhook outbox
    KEYS[6..]   state sets, in ITEM_STATES order
    ARGV[1]     custom id
    ARGV[2]     result JSON
    ARGV[3]     final state
    ARGV[4]     now (ms)
    ARGV[5]     flagged files of this result
    ARGV[6]     state names JSON
    ARGV[7]     account-wide item events (",item.failed,")
    ARGV[8]     batch id
    ARGV[9]     the outboxes' wake-up channel (emitBatchEvent)

  Output:
    the number of outbox entries written
]]
--- @include "includes/stateSets"
--- @include "includes/emitBatchEvent"
--- @include "includes/enqueueRunning"
--- @include "includes/noteBatchFinished"
webhookWakeChannel = ARGV[9]
loadStateSets(6, ARGV[6])
-- What the batch record says before anything changes, in one read.
local before = redis.call('HMGET', KEYS[3], 'finishedAt', 'webhookItemEvents')
local wasFinished = before[1] and 1 or 0
local events = 0
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local flagged = tonumber(ARGV[5])
local wasFlagged = tonumber(redis.call('HGET', KEYS[4], ARGV[1]) or '0')
if flagged ~= wasFlagged then
  if flagged > 0 then redis.call('HSET', KEYS[4], ARGV[1], flagged) else redis.call('HDEL', KEYS[4], ARGV[1]) end
  redis.call('HINCRBY', KEYS[3], 'flaggedFiles', flagged - wasFlagged)
end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old ~= ARGV[3] then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
  if old then redis.call('HINCRBY', KEYS[3], 'state:' .. old, -1) end
  redis.call('HINCRBY', KEYS[3], 'state:' .. ARGV[3], 1)
  move(ARGV[1], old, ARGV[3])
  local kind = nil
  if ARGV[3] == 'failed' then kind = 'item.failed' elseif ARGV[3] == 'completed' then kind = 'item.completed' end
  if kind then
    local wanted = (before[2] or '') .. ARGV[7]
    if string.find(wanted, ',' .. kind .. ',', 1, true) then
      emitBatchEvent(KEYS[3], KEYS[5], ARGV[8], kind, ARGV[1], ARGV[4])
      events = events + 1
    end
  end
end
events = events + noteBatchFinished(KEYS[3], KEYS[2], KEYS[5], ARGV[8], ARGV[4], wasFinished)
return events
