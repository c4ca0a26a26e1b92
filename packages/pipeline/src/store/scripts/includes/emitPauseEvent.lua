--[[
  Appends one batch.paused entry to the account webhook outbox (store/webhook-outbox.ts) and
  wakes the relay: '~account' (ACCOUNT_OUTBOX_MESSAGE) on wakeChannel, the outbox's pub/sub
  channel, in the same step as the entry. seqKey: the account outbox's counter; outboxKey: the
  account outbox (both under the prefix's tag). Returns the event id "<batch><marker><seq>".
]]
local function emitPauseEvent(seqKey, outboxKey, wakeChannel, batchId, marker, reason, detail, at)
  local seq = redis.call('INCR', seqKey)
  local id = batchId .. '~' .. marker .. seq
  local entry = {id = id, type = 'batch.paused', batchId = batchId, reason = reason, at = tonumber(at)}
  if detail ~= '' then entry.detail = detail end
  redis.call('HSET', outboxKey, id, cjson.encode(entry))
  redis.call('PUBLISH', wakeChannel, '~account')
  return id
end
