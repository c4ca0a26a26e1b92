--[[
  Appends one event of a batch to its webhook outbox (store/webhook-outbox.ts), its id
  "<batch>~e<seq>" from the counter on the batch record. Returns the event id.
]]
local function emitBatchEvent(batchKey, outboxKey, batchId, kind, customId, at)
  local seq = redis.call('HINCRBY', batchKey, 'webhookSeq', 1)
  local id = batchId .. '~e' .. seq
  local entry = {id = id, type = kind, batchId = batchId, at = tonumber(at)}
  if customId then entry.customId = customId end
  redis.call('HSET', outboxKey, id, cjson.encode(entry))
  return id
end
