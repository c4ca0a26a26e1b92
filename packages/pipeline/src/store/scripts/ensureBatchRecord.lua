--[[
  Creates a batch record unless it exists (the first caller's creation time and source stand);
  a new one is marked as keeping state sets. The batch list is another slot (account-wide), so
  the caller writes it after this.

  Input:
    KEYS[1]     batch record hash
    ARGV[1]     now (ms)
    ARGV[2]     source (the manifest)
    ARGV[3]     the state-sets field name

  Output:
    the batch's creation time (ms)
]]
if redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[3], '1')
end
redis.call('HSETNX', KEYS[1], 'source', ARGV[2])
return redis.call('HGET', KEYS[1], 'createdAt')
