--[[
  Ends a credentials stop (jobs/credentials-stop.ts resumeSubmissions): removes the stop and its
  start time and, when it had one, keeps "start-end" in the list of ended stops (the newest
  ARGV[2]) that the batches' elapsed time leaves out, all in one step with the stop script.

  Input:
    KEYS[1]     credentials stop string
    KEYS[2]     when the stop began (string, ms)
    KEYS[3]     ended stops (list of "start-end")
    ARGV[1]     now (ms)
    ARGV[2]     how many ended stops to keep

  Output:
    1 when a stop or its start time was there, else 0
]]
local since = redis.call('GET', KEYS[2])
local removed = redis.call('DEL', KEYS[1], KEYS[2])
if since then
  local start = tonumber(since)
  if start then
    local finish = tonumber(ARGV[1]) > start and ARGV[1] or since
    redis.call('RPUSH', KEYS[3], since .. '-' .. finish)
    redis.call('LTRIM', KEYS[3], -tonumber(ARGV[2]), -1)
  end
end
return removed > 0 and 1 or 0
