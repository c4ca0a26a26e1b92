--[[
  Takes each request (fingerprint) for its owner item unless another item has it.

  A few commands per call, not per request (an enqueue claims 250 a call): the holders are read
  with one HMGET, the free requests written with one HSET. Atomic like an HSETNX per request; a
  request given twice goes to its first owner.

  Input:
    KEYS[1]     request index hash
    ARGV        request, owner item ref, request, owner item ref, ...

  Output:
    for each request in order, 1 when it is now held by the owner given with it (claimed now,
    or held by it already), else the item ref of the owner it has
]]
local held = {}
local claimed = {}
local PAIRS = 500
for first = 1, #ARGV, 2 * PAIRS do
  local last = math.min(first + 2 * PAIRS - 1, #ARGV)
  local requests = {}
  for i = first, last, 2 do requests[#requests + 1] = ARGV[i] end
  local holders = redis.call('HMGET', KEYS[1], unpack(requests))
  local fields = {}
  for i = first, last, 2 do
    local request, owner = ARGV[i], ARGV[i + 1]
    local holder = holders[(i - first) / 2 + 1] or claimed[request]
    if not holder then
      claimed[request] = owner
      fields[#fields + 1] = request
      fields[#fields + 1] = owner
      holder = owner
    end
    held[#held + 1] = holder == owner and 1 or holder
  end
  if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
end
return held
