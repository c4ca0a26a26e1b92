--[[
  Hands a request to another item, only if the given item still has it.

  Input:
    KEYS[1]     request index hash
    ARGV[1]     request (fingerprint)
    ARGV[2]     item ref that should have it
    ARGV[3]     item ref to hand it to

  Output:
    1 when handed over, else 0
]]
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0
