--[[
  An enqueue still adding items to a batch: while one runs, every item registered so far may be
  final without the batch being complete, so batch.completed waits (`completionDeferred`) for
  the enqueue's end (endEnqueue.lua). A marker older than ENQUEUE_MARKER_MAX_AGE_MS (1 hour) is
  an enqueue that died: running the same enqueue again ends it.

  enqueueIncomplete: the batch's enqueue mark (store/batches.ts EnqueueMark) is there, so part of
  its manifest may not be in yet (an enqueue interrupted at N of M lines, or one still adding):
  the batch is not finished, however many of its items are final, until an enqueue gets through
  every line (the mark goes) and ends.
]]
local ENQUEUE_MARKER_MAX_AGE_MS = 3600000
local function enqueueRunning(batchKey, now)
  local running = tonumber(redis.call('HGET', batchKey, 'enqueuing') or '0')
  if running <= 0 then return false end
  local since = tonumber(redis.call('HGET', batchKey, 'enqueuingAt') or '0')
  return tonumber(now) - since < ENQUEUE_MARKER_MAX_AGE_MS
end
local function enqueueIncomplete(batchKey)
  return redis.call('HEXISTS', batchKey, 'enqueueTotalLines') == 1
end
