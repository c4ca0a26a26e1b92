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
  redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
  held[#held + 1] = redis.call('HGET', KEYS[1], ARGV[i])
end
return held
