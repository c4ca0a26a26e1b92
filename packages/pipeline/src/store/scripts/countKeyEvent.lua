--[[
  Counts what one API key did, in its cap hash (keys/provider-keys.ts `count`): a rate 429, or a
  create made and the money it cost, in total and on the UTC day.

  Input:
    KEYS[1]     cap hash of the key's account
    ARGV[1]     'rateLimited' or 'creates'
    ARGV[2]     with 'creates': the cap-hash field of today's spend
    ARGV[3]     with 'creates': the cost (micros)

  Output:
    the counter's new value
]]
if ARGV[1] == 'rateLimited' then return redis.call('HINCRBY', KEYS[1], 'rateLimited', 1) end
redis.call('HINCRBY', KEYS[1], 'creates', 1)
redis.call('HINCRBY', KEYS[1], 'spentMicros', ARGV[3])
return redis.call('HINCRBY', KEYS[1], ARGV[2], ARGV[3])
