--[[
  Ends the pause of control hash `key` at `now` (ms): its length joins `pausedMs` and the
  pause's fields go; the hash keeps `pausedMs` only (a batch without `state` runs). Elapsed time
  and rates leave paused time out (operations/batch-overview.ts).
]]
local function endPause(key, now)
  local at = tonumber(redis.call('HGET', key, 'at') or '0') or 0
  local pausedMs = tonumber(redis.call('HGET', key, 'pausedMs') or '0') or 0
  redis.call('DEL', key)
  if at > 0 and now > at then pausedMs = pausedMs + (now - at) end
  if pausedMs > 0 then redis.call('HSET', key, 'pausedMs', pausedMs) end
end
