--[[
  Moves one item to a new state and keeps the batch's per-state counts and sets exact: the count
  of the old state goes down and the new one up in the same atomic step, and a repeated
  transition is a no-op. Without force a transition never lowers the rank (see item-states.ts);
  force 'f' moves only an item that is failed (store/item-states.ts `transition`).

  Input:
    KEYS[1]     item states hash
    KEYS[2]     batch record hash
    KEYS[3..]   state sets, in ITEM_STATES order
    ARGV[1]     custom id
    ARGV[2]     new state
    ARGV[3]     new state's rank
    ARGV[4]     force: '1', '0', or 'f' (only from failed)
    ARGV[5]     ranks JSON
    ARGV[6]     state names JSON
    ARGV[7]     deadline (ms, Redis server clock; '' for none)

  Output:
    1 changed, 0 not changed, -1 past the deadline (nothing written)
]]
--- @include "includes/pastDeadline"
--- @include "includes/stateSets"
if pastDeadline(ARGV[7]) then return -1 end
loadStateSets(3, ARGV[6])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old == ARGV[2] then return 0 end
if ARGV[4] == 'f' and old ~= 'failed' then return 0 end
if old and ARGV[4] == '0' then
  local ranks = cjson.decode(ARGV[5])
  if (ranks[old] or 0) >= tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if old then redis.call('HINCRBY', KEYS[2], 'state:' .. old, -1) end
redis.call('HINCRBY', KEYS[2], 'state:' .. ARGV[2], 1)
move(ARGV[1], old, ARGV[2])
return 1
