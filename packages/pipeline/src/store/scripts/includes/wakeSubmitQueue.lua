--[[
  After a slot was freed, wakes the submit queue if it waits for slots: lifts the wait
  (KEYS[3], when it holds the marker ARGV[3]), adds BullMQ's wake-up marker (KEYS[4], as addJob
  does) for workers blocked waiting for jobs, and publishes on the channel of the marker key's
  name for workers sleeping out the wait (store/submit-queue-wake.ts, whose Lua half this is, with
  waitForSlot.lua). KEYS[2]: the cap hash.
]]
local function wake()
  local waiting = redis.call('HDEL', KEYS[2], 'waitingAt')
  if KEYS[3] ~= nil and redis.call('GET', KEYS[3]) == ARGV[3] then
    redis.call('DEL', KEYS[3])
    waiting = 1
  end
  if waiting == 1 and KEYS[4] ~= nil then
    redis.call('ZADD', KEYS[4], 0, '0')
    redis.call('PUBLISH', KEYS[4], '1')
  end
end
