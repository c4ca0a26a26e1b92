--[[
  Takes each request (fingerprint) for its owner item unless another item has it.

  Input:
    KEYS[1]     request index hash
    ARGV        request, owner item ref, request, owner item ref, ...

  Output:
    the owner each request has now, in order
]]
local held = {}
for i = 1, #ARGV, 2 do
  -- The holder is read back only when another item has it: a new claim's owner is known.
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    held[#held + 1] = ARGV[i + 1]
  else
    held[#held + 1] = redis.call('HGET', KEYS[1], ARGV[i])
  end
end
return held
