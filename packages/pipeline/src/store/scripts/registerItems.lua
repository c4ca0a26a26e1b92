--[[
  Registers items as queued, skipping those the batch already has, and returns which were new,
  appending them to the order list; a batch that gets new items is not finished any more (its
  next finish is a new batch.completed).

  A few commands per call, not per item (an enqueue registers 250 items a call): which ids the
  states hash lacks is read with one HMGET, and the new ones are written with one HSET, one ZADD
  to the queued set and one RPUSH (per 1,000). Atomic like an HSETNX per id; an id given twice
  is added once.

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
local seen = {}
local BATCH = 1000
for first = 2, #ARGV, BATCH do
  local last = math.min(first + BATCH - 1, #ARGV)
  local states = redis.call('HMGET', KEYS[1], unpack(ARGV, first, last))
  for i = first, last do
    local id = ARGV[i]
    if not states[i - first + 1] and not seen[id] then
      seen[id] = true
      added[#added + 1] = id
    end
  end
end
if #added == 0 then return added end
for i = 1, #added, BATCH do
  local last = math.min(i + BATCH - 1, #added)
  local fields, members = {}, {}
  for j = i, last do
    fields[#fields + 1] = added[j]
    fields[#fields + 1] = 'queued'
    members[#members + 1] = 0
    members[#members + 1] = added[j]
  end
  redis.call('HSET', KEYS[1], unpack(fields))
  -- As move(id, nil, 'queued') for each: a new item has no old state set to leave.
  redis.call('ZADD', inState['queued'], unpack(members))
  redis.call('RPUSH', KEYS[#KEYS], unpack(added, i, last))
end
redis.call('HINCRBY', KEYS[2], 'state:queued', #added)
-- Not finished any more: it has queued items (its next finish is a new batch.completed).
redis.call('HDEL', KEYS[2], 'finishedAt')
return added
