--[[
  Takes a slot for a create on the best API key of a pool (keys/provider-keys.ts `take`): the
  key with the most free slots times its weight among those not stopped, within their daily
  budget, not cooling down after a 429 and whose pace lets a create go now; or says why none.
  A holder that has a slot on some key keeps it (a retried job).

  The key's daily budget is a reservation, like the batch budget (passSubmitGate): the create's
  cost is reserved on the chosen key in the same step as its slot (cap-hash fields
  `hold:<holder>` = "<day>|<micros>|<taken at ms>" and the day's total `reserved:<day>`), and a
  key fits a create when spent + reserved + cost <= its budget, so concurrent creates never pass
  it together. settleKeyReservation.lua moves it to `spent:<day>` or gives it back. A holder
  that keeps its slot keeps its reservation; one that lost it (settled by an earlier try)
  reserves again, or leaves that key when it no longer fits.

  Input:
    KEYS[1]     the submit queue's BullMQ limiter key ('' for none)
    KEYS[2]     the submit queue's BullMQ marker key ('' for none)
    KEYS[3..]   per key: slot holders sorted set, cap hash, key stop string
    ARGV[1]     holder "<batch>~<custom>~<n>"
    ARGV[2]     now (ms)
    ARGV[3]     slot-wait marker
    ARGV[4]     wait (ms)
    ARGV[5]     number of keys n
    ARGV[6..]   per key: max in flight, weight, pace tolerance (ms), daily budget (micros, -1 none)
    ARGV[6+4n]  today's UTC day (YYYY-MM-DD): fields `spent:<day>`, `reserved:<day>`
    ARGV[7+4n]  the create's cost (micros; 0: nothing reserved)

  Output:
    {index (1-based), slots held} for a slot; {0, ms} when only paced or cooling keys have
    room (the soonest may send in ms); {-1, 0} when every key is stopped; {-2, 0} when every
    key not stopped is over its daily budget; {0, -1} when the usable keys are full (the queue
    waits for a release, at most until the soonest pace)
]]
local holder, now, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[5])
local day, cost = ARGV[6 + n * 4], tonumber(ARGV[7 + n * 4])
local spentField, reservedField, holdField = 'spent:' .. day, 'reserved:' .. day, 'hold:' .. holder
-- Whether a create of `cost` fits the key's budget today (its spent and reserved money).
local function fits(capKey, budget)
  return budget < 0 or tonumber(redis.call('HGET', capKey, spentField) or '0')
    + tonumber(redis.call('HGET', capKey, reservedField) or '0') + cost <= budget
end
local function reserve(capKey)
  if cost <= 0 then return end
  redis.call('HSET', capKey, holdField, day .. '|' .. cost .. '|' .. ARGV[2])
  redis.call('HINCRBY', capKey, reservedField, cost)
end
for i = 1, n do
  local holders, capKey = KEYS[3 + (i - 1) * 3], KEYS[4 + (i - 1) * 3]
  if redis.call('ZSCORE', holders, holder) then
    if cost <= 0 or redis.call('HEXISTS', capKey, holdField) == 1 then
      return {i, redis.call('ZCARD', holders)}
    end
    if fits(capKey, tonumber(ARGV[9 + (i - 1) * 4])) then
      reserve(capKey)
      return {i, redis.call('ZCARD', holders)}
    end
    -- Its reservation was settled and the key's budget no longer fits it: choose again.
    redis.call('ZREM', holders, holder)
  end
end
local best, bestScore, paceWait, usable, funded, full = 0, -1, -1, 0, 0, 0
for i = 1, n do
  local holders, capKey, stopKey = KEYS[3 + (i - 1) * 3], KEYS[4 + (i - 1) * 3], KEYS[5 + (i - 1) * 3]
  local max = tonumber(ARGV[6 + (i - 1) * 4])
  local weight = tonumber(ARGV[7 + (i - 1) * 4])
  local tolerance = tonumber(ARGV[8 + (i - 1) * 4])
  local budget = tonumber(ARGV[9 + (i - 1) * 4])
  redis.call('HSET', capKey, 'max', max)
  if redis.call('EXISTS', stopKey) == 0 then usable = usable + 1 end
  if fits(capKey, budget) and redis.call('EXISTS', stopKey) == 0 then
    funded = funded + 1
    local cap = math.min(tonumber(redis.call('HGET', capKey, 'cap') or max), max)
    local free = math.max(1, math.floor(cap)) - redis.call('ZCARD', holders)
    if free > 0 then
      local readyAt = math.max(tonumber(redis.call('HGET', capKey, 'createTat') or '0') - tolerance,
        tonumber(redis.call('HGET', capKey, 'coolUntil') or '0'))
      if readyAt <= now then
        local score = free * weight
        if score > bestScore then best, bestScore = i, score end
      elseif paceWait < 0 or readyAt - now < paceWait then
        paceWait = readyAt - now
      end
    else
      full = full + 1
    end
  end
end
if best > 0 then
  local holders = KEYS[3 + (best - 1) * 3]
  redis.call('ZADD', holders, now, holder)
  reserve(KEYS[4 + (best - 1) * 3])
  return {best, redis.call('ZCARD', holders)}
end
if usable == 0 then return {-1, 0} end
if funded == 0 then return {-2, 0} end
-- Only paced or cooling keys have room: wait for the soonest. A full key's release may come
-- sooner: then wait for a release (or the pace), as one key waits for its slots.
if paceWait >= 0 and full == 0 then return {0, math.ceil(paceWait)} end
local waitMs = tonumber(ARGV[4])
if paceWait >= 0 and paceWait < waitMs then waitMs = math.max(1, math.ceil(paceWait)) end
for i = 1, n do
  if redis.call('EXISTS', KEYS[5 + (i - 1) * 3]) == 0 then
    redis.call('HSET', KEYS[4 + (i - 1) * 3], 'waitingAt', ARGV[2])
  end
end
if KEYS[1] ~= '' and waitMs > 0 then
  local current = tonumber(redis.call('GET', KEYS[1]) or '')
  if not (current and current > tonumber(ARGV[3]) and redis.call('PTTL', KEYS[1]) > 0) then
    redis.call('SET', KEYS[1], ARGV[3], 'PX', waitMs)
  end
end
return {0, -1}
