--[[
  Registers items as queued, skipping those the batch already has (HSETNX), and returns which
  were new, appending them to the order list; a batch that gets new items is not finished any
  more (its next finish is a new batch.completed).

  Input:
    KEYS[1]       item states hash
    KEYS[2]       batch record hash
    KEYS[3..n-1]  state sets, in ITEM_STATES order
    KEYS[n]       item order list
    ARGV[1]       state names JSON
    ARGV[2..]     custom ids

  Output:
    the custom ids that were new
]]
--- @include "includes/stateSets"
loadStateSets(3, ARGV[1])
local added = {}
for i = 2, #ARGV do
  if redis.call('HSETNX', KEYS[1], ARGV[i], 'queued') == 1 then
    added[#added + 1] = ARGV[i]
    move(ARGV[i], nil, 'queued')
  end
end
if #added > 0 then
  redis.call('HINCRBY', KEYS[2], 'state:queued', #added)
  -- Not finished any more: it has queued items (its next finish is a new batch.completed).
  redis.call('HDEL', KEYS[2], 'finishedAt')
end
for i = 1, #added, 1000 do
  redis.call('RPUSH', KEYS[#KEYS], unpack(added, i, math.min(i + 999, #added)))
end
return added
