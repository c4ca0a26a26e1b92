--[[
  The enqueue runs still adding items to a batch: while one runs, every item registered so far
  may be final without the batch being complete, so batch.completed waits (`completionDeferred`)
  for the end of the last run (endEnqueue.lua) or, when the last one died, for the sweep that
  finds none left (finishDeferredCompletion.lua).

  Each run is kept by its own id in the batch record's `enqueueRuns` field (JSON: run id -> start
  ms, store/batches.ts beginEnqueue/endEnqueue), so a run that died (killed, Redis lost, never
  reached endEnqueue) stops counting ENQUEUE_RUN_MAX_AGE_MS (1 hour) after its own start, however
  many runs came after it.

  enqueueIncomplete: the batch's enqueue mark (store/batches.ts EnqueueMark) is there, so part of
  its manifest may not be in yet (an enqueue interrupted at N of M lines, or one still adding):
  the batch is not finished, however many of its items are final, until an enqueue gets through
  every line (the mark goes) and ends.
]]
local ENQUEUE_RUN_MAX_AGE_MS = 3600000
-- The runs that still count at `now` (run id -> start ms), their number, and the latest start.
local function liveEnqueueRuns(batchKey, now)
  local live, count, latest = {}, 0, 0
  local raw = redis.call('HGET', batchKey, 'enqueueRuns')
  if not raw then return live, 0, 0 end
  for id, since in pairs(cjson.decode(raw)) do
    local at = tonumber(since) or 0
    if tonumber(now) - at < ENQUEUE_RUN_MAX_AGE_MS then
      live[id] = at
      count = count + 1
      if at > latest then latest = at end
    end
  end
  return live, count, latest
end
-- Writes the runs back (the field goes with the last one); drops the counter of older versions.
local function saveEnqueueRuns(batchKey, live, count)
  if count > 0 then
    redis.call('HSET', batchKey, 'enqueueRuns', cjson.encode(live))
  else
    redis.call('HDEL', batchKey, 'enqueueRuns')
  end
  redis.call('HDEL', batchKey, 'enqueuing', 'enqueuingAt')
end
local function enqueueRunning(batchKey, now)
  local _, count = liveEnqueueRuns(batchKey, now)
  return count > 0
end
local function enqueueIncomplete(batchKey)
  return redis.call('HEXISTS', batchKey, 'enqueueTotalLines') == 1
end
