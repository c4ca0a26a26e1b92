--[[
  Job.retry("failed") with a deadline, and the job's new data set in the same atomic step:
  nothing is written when Redis runs it after the deadline, so a re-queue that waited behind a
  stalled Redis is refused once Redis runs again. The rest is BullMQ's own reprocessJob script,
  unchanged (KEYS and ARGV[1..6] as BullMQ passes them), called as a function: it is inserted
  when the script is registered, from the installed BullMQ (store/store-scripts.ts).

  Input:
    KEYS[1..8]  as BullMQ's reprocessJob: job hash, events, failed, wait, meta, paused, active,
                marker (jobs/requeue-failed-job.ts)
    ARGV[1..6]  as BullMQ's reprocessJob: job id, push command, failed-reason field, 'failed',
                reset attempts made, reset attempts started
    ARGV[7]     deadline (ms, Redis server clock; '' for none)
    ARGV[8]     the job's new data (JSON), '' to keep it

  Output:
    1 re-queued, -1 no such job, -3 not failed, -100 past the deadline
]]
--- @include "includes/pastDeadline"
if pastDeadline(ARGV[7]) then return -100 end
local function reprocess(KEYS, ARGV)
--- @bullmq "reprocessJob-8"
end
if ARGV[8] ~= '' and redis.call('ZSCORE', KEYS[3], ARGV[1]) then
  redis.call('HSET', KEYS[1], 'data', ARGV[8])
end
return reprocess(KEYS, ARGV)
