--[[
  The one check right before a create, atomic across workers: reads the batch's pause/cancel
  (a daily-budget pause of another day is lifted), then reserves the item's cost against the
  batch budget and the daily cap, or pauses the batch when it does not fit. A holder that
  already has a reservation (a retry after a crash between reservation and create) goes on
  without reserving twice. A pause made here writes its batch.paused entry to the account's
  webhook outbox in the same step, and wakes the relay (store/spend-ledger.ts `gate`). The daily spend hash expires
  8 days (691200 s) after its last reservation: status shows today's, older ones only help
  debugging.

  Input:
    KEYS[1]     batch control hash
    KEYS[2]     batch spend hash
    KEYS[3]     spend reservations hash
    KEYS[4]     spend reservation times sorted set
    KEYS[5]     daily spend hash of the day
    KEYS[6]     account webhook outbox
    KEYS[7]     its event counter
    ARGV[1]     holder "<batch>~<custom>~<n>"
    ARGV[2]     cost (micros)
    ARGV[3]     daily budget (micros), or ''
    ARGV[4]     now (ms)
    ARGV[5]     UTC day (YYYY-MM-DD)
    ARGV[6]     batch id
    ARGV[7]     the outboxes' wake-up channel (pub/sub; told of a pause's entry)

  Output:
    'go', 'cancelled', 'paused', 'budget' or 'daily_budget'
]]
--- @include "includes/emitPauseEvent"
--- @include "includes/endPause"
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'cancelled' then return 'cancelled' end
if state == 'paused' then
  if redis.call('HGET', KEYS[1], 'reason') == 'daily_budget' and redis.call('HGET', KEYS[1], 'day') ~= ARGV[5] then
    endPause(KEYS[1], tonumber(ARGV[4]))
  else
    return 'paused'
  end
end
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 'go' end
local cost = tonumber(ARGV[2])
local budget = redis.call('HGET', KEYS[2], 'budgetMicros')
if budget then
  local used = tonumber(redis.call('HGET', KEYS[2], 'spentMicros') or '0')
    + tonumber(redis.call('HGET', KEYS[2], 'reservedMicros') or '0')
  if used + cost > tonumber(budget) then
    redis.call('HSET', KEYS[1], 'state', 'paused', 'reason', 'budget', 'at', ARGV[4])
    emitPauseEvent(KEYS[7], KEYS[6], ARGV[7], ARGV[6], 'p', 'budget', '', ARGV[4])
    return 'budget'
  end
end
if ARGV[3] ~= '' then
  local used = tonumber(redis.call('HGET', KEYS[5], 'spentMicros') or '0')
    + tonumber(redis.call('HGET', KEYS[5], 'reservedMicros') or '0')
  if used + cost > tonumber(ARGV[3]) then
    redis.call('HSET', KEYS[1], 'state', 'paused', 'reason', 'daily_budget', 'at', ARGV[4], 'day', ARGV[5])
    emitPauseEvent(KEYS[7], KEYS[6], ARGV[7], ARGV[6], 'p', 'daily_budget', '', ARGV[4])
    return 'daily_budget'
  end
end
redis.call('HINCRBY', KEYS[2], 'reservedMicros', cost)
redis.call('HINCRBY', KEYS[5], 'reservedMicros', cost)
redis.call('EXPIRE', KEYS[5], 691200)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[5] .. '|' .. ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
return 'go'
