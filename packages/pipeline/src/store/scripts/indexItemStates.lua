--[[
  Adds items of a batch written before the state sets existed to the set of their current state
  (read here, atomically, so a transition meanwhile cannot leave one in two sets).

  Input:
    KEYS[1]     item states hash
    KEYS[2..]   state sets, in ITEM_STATES order
    ARGV[1]     state names JSON
    ARGV[2..]   custom ids

  Output:
    1
]]
--- @include "includes/stateSets"
loadStateSets(2, ARGV[1])
for i = 2, #ARGV do
  local state = redis.call('HGET', KEYS[1], ARGV[i])
  if state and inState[state] then redis.call('ZADD', inState[state], 0, ARGV[i]) end
end
return 1
