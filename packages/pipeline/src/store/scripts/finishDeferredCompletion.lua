--[[
  The sweep's step for one batch with enqueue runs (store/batches.ts finishDeferredCompletions):
  drops the runs that died (an hour after their start) and, when none counts any more, writes
  the batch.completed that a run's end could not (the last run died, or ended while a dead one
  still counted), exactly once: see includes/finishDeferredBatch.

  Input:
    KEYS[1]     batch record hash
    KEYS[2]     batch webhook outbox
    KEYS[3]     item states hash
    ARGV[1]     now (ms)
    ARGV[2]     batch id
    ARGV[3]     the outboxes' wake-up channel (emitBatchEvent)

  Output:
    { outbox entries written (0 or 1), when the runs that still count stop counting (ms, 0: none) }
]]
--- @include "includes/emitBatchEvent"
--- @include "includes/enqueueRunning"
--- @include "includes/finishDeferredBatch"
webhookWakeChannel = ARGV[3]
if redis.call('EXISTS', KEYS[1]) == 0 then return { 0, 0 } end
local live, count, latest = liveEnqueueRuns(KEYS[1], ARGV[1])
saveEnqueueRuns(KEYS[1], live, count)
local events = finishDeferredBatch(KEYS[1], KEYS[3], KEYS[2], ARGV[2], ARGV[1], count)
return { events, count > 0 and latest + ENQUEUE_RUN_MAX_AGE_MS or 0 }
