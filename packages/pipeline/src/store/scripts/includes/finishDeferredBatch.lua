--[[
  A batch whose items all became final while its enqueue was incomplete or a run was adding
  (`completionDeferred`, set by noteBatchFinished) is finished once its enqueue is complete (no
  enqueue mark) and every item is still final: `finishedAt` is stamped if no finish did and,
  when no enqueue run counts any more (`liveRuns` 0), batch.completed is written and the flag
  cleared, so it is written once. With items open again and no run left, the flag goes: the
  last item's finish writes the event (noteBatchFinished). Returns the events written (0 or 1).
  Needs the emitBatchEvent and enqueueRunning includes.
]]
local function finishDeferredBatch(batchKey, statesKey, outboxKey, batchId, now, liveRuns)
  if redis.call('HGET', batchKey, 'completionDeferred') ~= '1' then return 0 end
  if enqueueIncomplete(batchKey) then return 0 end
  local counts = redis.call('HMGET', batchKey, 'state:completed', 'state:failed', 'state:cancelled')
  local done = tonumber(counts[1] or '0') + tonumber(counts[2] or '0') + tonumber(counts[3] or '0')
  local total = redis.call('HLEN', statesKey)
  if total == 0 or done < total then
    if liveRuns == 0 then redis.call('HDEL', batchKey, 'completionDeferred') end
    return 0
  end
  redis.call('HSETNX', batchKey, 'finishedAt', now)
  if liveRuns > 0 then return 0 end
  redis.call('HDEL', batchKey, 'completionDeferred')
  emitBatchEvent(batchKey, outboxKey, batchId, 'batch.completed', nil, now)
  return 1
end
