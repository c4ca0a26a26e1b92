--[[
  Moves the fair-share virtual clock forward to a turn (never back): an item with this turn is
  being created (store/fair-share.ts).

  Input:
    KEYS[1]     fair-share clock string
    ARGV[1]     turn

  Output:
    1
]]
local now = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > now then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
