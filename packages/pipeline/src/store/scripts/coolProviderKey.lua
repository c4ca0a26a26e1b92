--[[
  Cools one API key of a pool down after a rate 429 (keys/provider-keys.ts `coolDown`): no
  create on it before a time.

  Input:
    KEYS[1]     cap hash of the key's account
    ARGV[1]     until (ms)

  Output:
    1
]]
local cooling = tonumber(redis.call('HGET', KEYS[1], 'coolUntil') or '0')
if cooling < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'coolUntil', ARGV[1]) end
return 1
