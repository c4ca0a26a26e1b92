--[[
  Pushes the pace of an account's creates back to at least a time (the provider asked to wait).

  Input:
    KEYS[1]     cap hash of the account
    ARGV[1]     not before (ms)

  Output:
    1
]]
local tat = tonumber(redis.call('HGET', KEYS[1], 'createTat') or '0')
if tat < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'createTat', ARGV[1]) end
return 1
