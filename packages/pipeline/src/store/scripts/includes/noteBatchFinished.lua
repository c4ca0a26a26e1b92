--[[
  After an item became final: when every item of the batch is final, stamps `finishedAt` and,
  the first time, emits batch.completed (or defers it while an enqueue still runs, see
  enqueueRunning); otherwise clears `finishedAt`. A batch whose enqueue is incomplete (see
  enqueueIncomplete) is not finished yet: neither stamp nor event, both deferred to the end of
  the enqueue that completes it (endEnqueue.lua, or finishDeferredCompletion.lua when the last
  run died). Emitting clears `completionDeferred`, so nothing writes the event a second time.
  Returns the number of events emitted (0 or 1).
  wasFinished: 1 when the batch had `finishedAt` before this script changed anything, else 0.
  Needs the emitBatchEvent and enqueueRunning includes.
]]
local function noteBatchFinished(batchKey, statesKey, outboxKey, seqArg, now, wasFinished)
  local counts = redis.call('HMGET', batchKey, 'state:completed', 'state:failed', 'state:cancelled')
  local done = tonumber(counts[1] or '0') + tonumber(counts[2] or '0') + tonumber(counts[3] or '0')
  if done < redis.call('HLEN', statesKey) then
    -- Only a batch that was finished has a finish time to clear.
    if wasFinished ~= 0 then redis.call('HDEL', batchKey, 'finishedAt') end
    return 0
  end
  if wasFinished == 0 and enqueueIncomplete(batchKey) then
    redis.call('HSET', batchKey, 'completionDeferred', '1')
    return 0
  end
  redis.call('HSET', batchKey, 'finishedAt', now)
  if wasFinished ~= 0 then return 0 end
  if enqueueRunning(batchKey, now) then
    redis.call('HSET', batchKey, 'completionDeferred', '1')
    return 0
  end
  -- Written here: no deferral is left for an enqueue's end or the sweep to write again.
  redis.call('HDEL', batchKey, 'completionDeferred')
  emitBatchEvent(batchKey, outboxKey, seqArg, 'batch.completed', nil, now)
  return 1
end
