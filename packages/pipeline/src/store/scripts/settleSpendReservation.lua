--[[
  Ends a spend reservation: its cost becomes spent (the create happened or may have) or is given
  back ('released': it certainly did not). Spent money is also added to its kind's share of the
  batch (`spentMicros:<kind>`, `creates:<kind>`; CreateKind in store/spend-ledger.ts: 'first',
  'resubmit:task_failed', 'resubmit:retry', 'unanswered'), so that spent reconciles, and to the
  batch's timeline (store/batch-timeline.ts, the minute's `:s` field). Runs once per
  reservation: a second call finds it gone or changed.

  The reservation is read here, so the usual case is one round trip: KEYS[4] is the daily spend
  hash of the day the caller expects (today); a reservation of another day (taken before
  midnight) is not settled, and its value is returned so the caller runs the script again with
  that day's hash and the value as read.

  Input:
    KEYS[1]     spend reservations hash
    KEYS[2]     spend reservation times sorted set
    KEYS[3]     batch spend hash
    KEYS[4]     daily spend hash of the day ARGV[3] names
    KEYS[5]     batch timeline hash
    ARGV[1]     holder
    ARGV[2]     'released', or the create's kind
    ARGV[3]     the reservation's value as read ("<day>|<micros>"), or the day of KEYS[4] alone
                ("<day>": read the value here)
    ARGV[4]     the timeline field of spent money now ("<minute>:s")

  Output:
    the cost settled here (micros, >= 0); -1 when there is nothing to settle (gone or changed);
    or the reservation's value (a string) when its day is not KEYS[4]'s
]]
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return -1 end
if string.find(ARGV[3], '|', 1, true) then
  if value ~= ARGV[3] then return -1 end
elseif string.sub(value, 1, #ARGV[3] + 1) ~= ARGV[3] .. '|' then
  return value
end
local cost = tonumber(string.match(value, '|(%d+)$') or '0')
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'reservedMicros', -cost)
redis.call('HINCRBY', KEYS[4], 'reservedMicros', -cost)
if ARGV[2] ~= 'released' then
  redis.call('HINCRBY', KEYS[3], 'spentMicros', cost)
  redis.call('HINCRBY', KEYS[3], 'spentMicros:' .. ARGV[2], cost)
  redis.call('HINCRBY', KEYS[3], 'creates:' .. ARGV[2], 1)
  redis.call('HINCRBY', KEYS[4], 'spentMicros', cost)
  if cost > 0 then redis.call('HINCRBY', KEYS[5], ARGV[4], cost) end
end
return cost
