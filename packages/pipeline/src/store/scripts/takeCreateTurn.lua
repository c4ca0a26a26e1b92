--[[
  Paces creates to VEOQ_PROVIDER_RPM across every worker (GCRA on the theoretical arrival time
  `createTat`): counts a create that may go now, or says how long to wait.

  Input:
    KEYS[1]     cap hash of the account
    ARGV[1]     now (ms)
    ARGV[2]     interval (ms)
    ARGV[3]     tolerance (ms)

  Output:
    0 when the create may go now (it is counted), else the ms to wait
]]
local now = tonumber(ARGV[1])
local tat = tonumber(redis.call('HGET', KEYS[1], 'createTat') or '0')
if tat < now then tat = now end
local wait = tat - tonumber(ARGV[3]) - now
if wait > 0 then return math.ceil(wait) end
redis.call('HSET', KEYS[1], 'createTat', tostring(tat + tonumber(ARGV[2])))
return 0
