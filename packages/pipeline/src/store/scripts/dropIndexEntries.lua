--[[
  Deletes each given field of an index hash whose value is still the given one (a deleted
  batch's entries in the request or task index, operations/delete-batch.ts): a field another
  item took meanwhile stays.

  Input:
    KEYS[1]     index hash (request index or task index)
    ARGV        field, value, field, value, ...

  Output:
    the number of fields deleted
]]
local n = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n
