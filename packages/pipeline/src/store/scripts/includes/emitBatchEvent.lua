--[[
  Appends one event of a batch to its webhook outbox (store/webhook-outbox.ts), its id
  "<batch>~e<seq>" from the counter on the batch record, and wakes the relay in the same step:
  the batch id on webhookWakeChannel (RecordKeys.webhookOutboxWake), which every script that
  includes this sets from its ARGV first, so an entry is announced even when the process that
  wrote it dies before its hint (store/webhook-outbox.ts markOutboxPending). Returns the event id.
]]
local webhookWakeChannel
local function emitBatchEvent(batchKey, outboxKey, batchId, kind, customId, at)
  local seq = redis.call('HINCRBY', batchKey, 'webhookSeq', 1)
  local id = batchId .. '~e' .. seq
  local entry = {id = id, type = kind, batchId = batchId, at = tonumber(at)}
  if customId then entry.customId = customId end
  redis.call('HSET', outboxKey, id, cjson.encode(entry))
  redis.call('PUBLISH', webhookWakeChannel, batchId)
  return id
end
