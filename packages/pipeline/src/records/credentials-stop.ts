import type { VeoqQueues } from "../jobs/queues.ts";
import { LuaScript } from "../redis/lua-script.ts";
import type { BatchStore } from "./batch-store.ts";
import { EMIT_PAUSE_EVENT_LUA, EVERY_OPEN_BATCH } from "./webhook-outbox.ts";

/**
 * Sets the credentials stop; the first stop (none was set) also writes one batch.paused entry
 * for every open batch to the account's webhook outbox (records/webhook-outbox.ts), in the same
 * step. KEYS: credentials stop, account webhook outbox, its counter. ARGV: reason, now.
 */
const STOP = new LuaScript(`${EMIT_PAUSE_EVENT_LUA}
local was = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
if not was then
  emitPauseEvent(KEYS[3], KEYS[2], '${EVERY_OPEN_BATCH}', 'c', 'credentials', ARGV[1], ARGV[2])
  return 1
end
return 0
`);

/** Pauses submissions because the provider refused the credentials, and says why. */
export async function stopSubmissions(
  store: BatchStore,
  queues: VeoqQueues,
  reason: string,
  now = Date.now(),
): Promise<void> {
  await queues.submit.pause();
  await STOP.run(
    store.redis,
    [store.keys.credentialsStop, store.keys.accountWebhookOutbox, store.keys.accountWebhookSeq],
    [reason, now],
  );
}

/** Why the submit queue is paused by a credentials stop, or undefined when it is not. */
export async function credentialsStopReason(store: BatchStore): Promise<string | undefined> {
  return (await store.redis.get(store.keys.credentialsStop)) ?? undefined;
}

/** Resumes submissions after a credentials stop (or any pause of the submit queue). */
export async function resumeSubmissions(store: BatchStore, queues: VeoqQueues): Promise<boolean> {
  const wasPaused = await queues.submit.isPaused();
  await store.redis.del(store.keys.credentialsStop);
  await queues.submit.removeRateLimitKey();
  await queues.submit.resume();
  return wasPaused;
}
