--[[
  The sorted sets of a batch's items by state (RecordKeys.itemsInState): `inState[state]` is
  the key of the set of items in that state, loaded by `loadStateSets(first, names)` from
  KEYS[first..] in the order of `names` (the JSON list of ITEM_STATES). `move` takes an item out
  of its old state's set and into the new one's.
]]
local inState = {}
local function loadStateSets(first, names)
  for i, name in ipairs(cjson.decode(names)) do inState[name] = KEYS[first + i - 1] end
end
local function move(id, old, new)
  if old and inState[old] then redis.call('ZREM', inState[old], id) end
  redis.call('ZADD', inState[new], 0, id)
end
