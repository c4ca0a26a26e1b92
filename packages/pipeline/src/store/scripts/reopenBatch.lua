--[[
  Lifts a batch's cancel (for `veoq retry --cancelled`).

  Input:
    KEYS[1]     batch control hash

  Output:
    1 when it was cancelled, else 0
]]
if redis.call('HGET', KEYS[1], 'state') ~= 'cancelled' then return 0 end
redis.call('DEL', KEYS[1])
return 1
