--[[
  Ends a create's reservation on an API key's daily budget (taken with its slot by
  takeKeySlot.lua): 'created' moves it to the key's spend of the reservation's day and counts a
  create; 'spent' (the create may have been made: sent, no answer) moves it to spend without
  counting a create; 'released' (certainly not made) gives it back. A holder without a
  reservation (a key without one, or settled already): 'created' with a fallback cost counts the
  create and spends that cost today (a key taken without the pool's script); otherwise nothing.
  Runs once per reservation: a second call finds it gone.

  Input:
    KEYS[1]     cap hash of the key's account
    ARGV[1]     holder "<batch>~<custom>~<n>" ('' for none)
    ARGV[2]     'created', 'spent' or 'released'
    ARGV[3]     today's UTC day (YYYY-MM-DD)
    ARGV[4]     fallback cost (micros) of a create without a reservation, or '' for none

  Output:
    the reservation's cost when one was settled here, else -1
]]
local value = ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'hold:' .. ARGV[1])
if value then
  local day, cost = string.match(value, '^([^|]+)|(%d+)')
  cost = tonumber(cost)
  redis.call('HDEL', KEYS[1], 'hold:' .. ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'reserved:' .. day, -cost)
  if ARGV[2] ~= 'released' then
    redis.call('HINCRBY', KEYS[1], 'spentMicros', cost)
    redis.call('HINCRBY', KEYS[1], 'spent:' .. day, cost)
  end
  if ARGV[2] == 'created' then redis.call('HINCRBY', KEYS[1], 'creates', 1) end
  return cost
end
if ARGV[2] == 'created' and ARGV[4] ~= '' then
  redis.call('HINCRBY', KEYS[1], 'creates', 1)
  redis.call('HINCRBY', KEYS[1], 'spentMicros', ARGV[4])
  redis.call('HINCRBY', KEYS[1], 'spent:' .. ARGV[3], ARGV[4])
end
return -1
