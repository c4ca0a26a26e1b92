--[[
  Adds one task's render time to its task shape's duration sample: reservoir sampling
  (algorithm R) over a count capped at the window. A plain "newest N" list would be biased: the
  last tasks of a batch to finish are its longest ones (store/duration-history.ts).

  Input:
    KEYS[1]     samples list
    KEYS[2]     count of tasks seen (capped at the window)
    ARGV[1]     duration (s)
    ARGV[2]     max samples
    ARGV[3]     window
    ARGV[4]     random number in [0, 1)

  Output:
    1 when the sample took it, else 0
]]
local seen = redis.call('INCR', KEYS[2])
local window = tonumber(ARGV[3])
if seen > window then
  redis.call('SET', KEYS[2], window)
  seen = window
end
local size = redis.call('LLEN', KEYS[1])
if size < tonumber(ARGV[2]) then
  redis.call('RPUSH', KEYS[1], ARGV[1])
  return 1
end
local slot = math.floor(tonumber(ARGV[4]) * seen)
if slot < size then
  redis.call('LSET', KEYS[1], slot, ARGV[1])
  return 1
end
return 0
