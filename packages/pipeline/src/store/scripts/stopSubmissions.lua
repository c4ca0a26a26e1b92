--[[
  Sets the credentials stop; the first stop (none was set) also records when it began (what the
  batches' elapsed time and rates leave out, jobs/credentials-stop.ts) and writes one
  batch.paused entry for every open batch ('*', EVERY_OPEN_BATCH in store/webhook-outbox.ts) to
  the account's webhook outbox and wakes the relay, in the same step: a resume can never come
  between the stop and its start time (liftCredentialsStop.lua ends both at once).

  Input:
    KEYS[1]     credentials stop string
    KEYS[2]     account webhook outbox
    KEYS[3]     its event counter
    KEYS[4]     when the stop began (string, ms)
    ARGV[1]     reason
    ARGV[2]     now (ms)
    ARGV[3]     the outboxes' wake-up channel (pub/sub)

  Output:
    1 when this set the first stop, else 0
]]
--- @include "includes/emitPauseEvent"
local was = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
if not was then
  redis.call('SET', KEYS[4], ARGV[2])
  emitPauseEvent(KEYS[3], KEYS[2], ARGV[3], '*', 'c', 'credentials', ARGV[1], ARGV[2])
  return 1
end
return 0
