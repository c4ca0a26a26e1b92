--[[
  Creates a batch record unless it exists (the first caller's creation time and source stand).
  The batch list is another slot (account-wide), so
  the caller writes it after this.

  Input:
    KEYS[1]     batch record hash
    ARGV[1]     now (ms)
    ARGV[2]     source (the manifest)

  Output:
    the batch's creation time (ms)
]]
redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[1])
redis.call('HSETNX', KEYS[1], 'source', ARGV[2])
return redis.call('HGET', KEYS[1], 'createdAt')
