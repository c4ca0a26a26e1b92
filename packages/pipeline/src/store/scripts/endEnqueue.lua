--[[
  Ends one enqueue run (done, interrupted or failed alike: whether the manifest is all in is the
  enqueue mark's to say). When the batch's enqueue is complete (no mark) and its items all
  became final while it ran or while the manifest was only partly in (`completionDeferred`), the
  batch is finished now: `finishedAt` is stamped if no finish did, and, when no other run still
  counts, its batch.completed is written (else the last run's end, or the sweep once the others
  died, writes it: finishDeferredCompletion.lua).

  Input:
    KEYS[1]     batch record hash
    KEYS[2]     batch webhook outbox
    KEYS[3]     item states hash
    ARGV[1]     now (ms)
    ARGV[2]     batch id
    ARGV[3]     run id (beginEnqueue's)
    ARGV[4]     the outboxes' wake-up channel (emitBatchEvent)

  Output:
    the number of outbox entries written (0 or 1)
]]
--- @include "includes/emitBatchEvent"
--- @include "includes/enqueueRunning"
--- @include "includes/finishDeferredBatch"
webhookWakeChannel = ARGV[4]
local live, count = liveEnqueueRuns(KEYS[1], ARGV[1])
if live[ARGV[3]] ~= nil then
  live[ARGV[3]] = nil
  count = count - 1
end
saveEnqueueRuns(KEYS[1], live, count)
return finishDeferredBatch(KEYS[1], KEYS[3], KEYS[2], ARGV[2], ARGV[1], count)
