--[[
  Whether the caller's deadline has passed by the Redis server's clock (TIME): a write queued
  behind a stalled Redis is then refused once Redis answers again, instead of being applied
  after the person who asked for it was told it failed (store/server-deadline.ts).
  deadline: ms on the Redis server's clock, '' for none.
]]
local function pastDeadline(deadline)
  if deadline == '' then return false end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(deadline)
end
