--[[
  Raises the lines an enqueue got through on the batch's enqueue mark (store/batches.ts),
  never lowering it (chunks may land out of order), and only while the mark exists.

  Input:
    KEYS[1]     batch record hash
    ARGV[1]     lines of the manifest that are in

  Output:
    1 when raised, else 0
]]
local lines = tonumber(redis.call('HGET', KEYS[1], 'enqueueLines') or '-1')
if lines < 0 or lines >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'enqueueLines', ARGV[1])
return 1
