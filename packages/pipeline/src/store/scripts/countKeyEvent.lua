--[[
  Counts a rate 429 on one API key, in its cap hash (keys/provider-keys.ts `count`). Creates and
  their money are counted when their reservation is settled (settleKeyReservation.lua).

  Input:
    KEYS[1]     cap hash of the key's account

  Output:
    the counter's new value
]]
return redis.call('HINCRBY', KEYS[1], 'rateLimited', 1)
