--[[
  Ends a spend reservation: its cost becomes spent ('spent': the create happened or may have)
  or is given back ('released': it certainly did not). Runs once per reservation: a second call
  finds it gone or changed.

  Input:
    KEYS[1]     spend reservations hash
    KEYS[2]     spend reservation times sorted set
    KEYS[3]     batch spend hash
    KEYS[4]     daily spend hash of the reservation's day
    ARGV[1]     holder
    ARGV[2]     'spent' or 'released'
    ARGV[3]     the reservation's value as read ("<day>|<micros>")

  Output:
    1 when settled here, else 0
]]
local value = redis.call('HGET', KEYS[1], ARGV[1])
if value ~= ARGV[3] then return 0 end
local cost = tonumber(string.match(value, '|(%d+)$') or '0')
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'reservedMicros', -cost)
redis.call('HINCRBY', KEYS[4], 'reservedMicros', -cost)
if ARGV[2] == 'spent' then
  redis.call('HINCRBY', KEYS[3], 'spentMicros', cost)
  redis.call('HINCRBY', KEYS[4], 'spentMicros', cost)
end
return 1
