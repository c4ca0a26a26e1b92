import type { Job, Queue, Worker } from "bullmq";
import type { RedisConnection } from "./connection/redis-connection.ts";

/**
 * The submit queue's wake-up: veoq's one coupling to BullMQ internals (issue 22), in one module.
 *
 * WHY. While every provider slot is taken (store/provider-slots.ts), submit jobs must not spin:
 * the whole submit queue waits, and the release that frees a slot must start the next create at
 * once (a freed slot is taken again within 0.5 s: the idle-cost bench's wake_p50_s/wake_max_s),
 * while an idle worker process costs Redis about 1.5 commands a second (idle-worker.test.ts). BullMQ offers no
 * public "wait until I say so, then wake now" for a queue, so veoq drives four internals:
 *
 * 1. The limiter key (`queue.keys.limiter`, `<prefix>:<queue>:limiter`). moveToActive reads it
 *    through `getRateLimitTTL`: `tonumber(GET limiter) >= limiter.max` with a PTTL above 0 means
 *    "limited for PTTL ms" (the worker then waits, and fetches nothing). `waitForSlot` (Lua,
 *    see below) sets it to SLOT_WAIT_MARKER for the slot wait; `wake` deletes it only while it holds
 *    that marker, so a provider rate limit (`queue.rateLimit`, which writes
 *    Number.MAX_SAFE_INTEGER) is never cut short. Check and wait are one script with the slot
 *    take, so a release cannot slip between "no slot" and "wait".
 * 2. The marker key (`queue.keys.marker`, a sorted set). BullMQ's workers block on it with
 *    BZPOPMIN while the queue is empty, and addJob adds `0 "0"` (addBaseMarkerIfNeeded) to wake
 *    them; `wake` adds the same member, and `wakeAfterLimitedReturn` adds it after a job returns
 *    from RateLimitError (BullMQ's return adds none).
 * 3. `Worker.abortDelayController` (private): a limited worker sleeps in `waitForRateLimit` on it
 *    (up to maximumRateLimitDelay, policy/pipeline-defaults.ts); `wake` publishes on the marker key's
 *    name and `wakeOnSlotRelease` aborts that sleep, so the worker fetches at once.
 * 4. `Worker.moveLimitedBackToWait` (private): what BullMQ calls for a job that threw
 *    RateLimitError; `wakeAfterLimitedReturn` wraps it to add the marker.
 *
 * Public BullMQ mechanisms checked (5.81.5): `Queue.rateLimit` (used for provider 429s; a TTL,
 * no early end), `Queue.removeRateLimitKey` (an unconditional DEL from the client: it would end a
 * provider rate limit too, and it cannot be atomic with the slot release), `Worker.rateLimit`
 * (deprecated, the same key), global concurrency (`Queue.setGlobalConcurrency`: caps active
 * jobs, but a slot outlives its submit job until the task is final). None ends a worker's
 * rate-limit sleep: without (3) a freed slot waits up to maximumRateLimitDelay.
 *
 * TESTED with BullMQ 5.81.5 (the lockfile's; package.json asks ^5.63.0).
 * test/submit-queue-wake.test.ts reads BullMQ's shipped scripts and classes and fails when an
 * upgrade changes any of the four; the workers also refuse to start without (3) and (4).
 */

/**
 * Value of the limiter key while items wait for a slot: a number (BullMQ reads it with tonumber
 * and treats it as "limited" when it is at least the limiter's max) that queue.rateLimit, which
 * writes Number.MAX_SAFE_INTEGER, never writes.
 */
export const SLOT_WAIT_MARKER = "9007199254740990";

/*
 * The Lua half of this module is two includes of the slot scripts (store/provider-slots.ts),
 * which pass the submit queue's keys as KEYS[3] (limiter) and KEYS[4] (marker) and the slots' cap
 * hash as KEYS[2]:
 *
 * - store/scripts/includes/waitForSlot.lua, `waitForSlot()`: notes when the wait began and makes
 *   the queue wait (the limiter key set to SLOT_WAIT_MARKER for the slot wait), unless a provider
 *   rate limit holds the key (a value above the marker: that one stands). The limiter's own count
 *   (BullMQ adds one per job started, up to its max, effectively none here) is replaced: left
 *   standing it would keep the queue from waiting for a release.
 * - store/scripts/includes/wakeSubmitQueue.lua, `wake()`: after a slot was freed, if the queue
 *   waits for slots: lifts the wait (the limiter key, while it holds the marker), adds BullMQ's
 *   marker member for workers blocked waiting for jobs, and publishes on the marker key's name
 *   for workers sleeping out the wait (`wakeOnSlotRelease`).
 */

/** The submit queue's keys the wake-up uses (BullMQ types them as possibly absent). */
export interface SubmitQueueWakeKeys {
  /** BullMQ's limiter key: the slot wait. */
  limiter: string;
  /** BullMQ's marker key: wakes blocked workers; its name is also the wake channel. */
  marker: string;
}

export function submitQueueWakeKeys(queue: Queue): SubmitQueueWakeKeys {
  const { limiter, marker } = queue.keys;
  if (limiter === undefined || marker === undefined) {
    throw new Error(`BullMQ built no limiter or marker key for queue ${queue.name}`);
  }
  return { limiter, marker };
}

/** The parts of BullMQ's Worker this module drives (private in its typings). */
interface WorkerInternals {
  /** Aborts the worker's current local wait (a rate limit's, up to maximumRateLimitDelay). */
  abortDelayController: AbortController | null;
  moveLimitedBackToWait(job: Job, token: string): Promise<number>;
}

/** The worker's internals, or an error naming what this BullMQ version lacks. */
function internalsOf(worker: Worker): WorkerInternals {
  const internals = worker as unknown as WorkerInternals;
  if (!("abortDelayController" in internals)) {
    throw new Error(
      "this BullMQ version has no Worker.abortDelayController (submit-queue-wake.ts)",
    );
  }
  if (typeof internals.moveLimitedBackToWait !== "function") {
    throw new Error(
      "this BullMQ version has no Worker.moveLimitedBackToWait (submit-queue-wake.ts)",
    );
  }
  return internals;
}

/**
 * A job refused with RateLimitError (no provider slot, a provider 429) goes back to the queue
 * through BullMQ's moveJobFromActiveToWait, which puts a prioritized job back without the queue's
 * wake-up marker. A worker blocked in its wait for new jobs (it had found the queue empty while
 * its own jobs were the ones being refused) would then sleep out its whole drain wait: through
 * a release that came between the refusal and the return (whose own marker came too early), or
 * through the end of a provider rate limit, which no event announces. After each such return
 * this adds the marker, as addJob does: a blocked worker wakes and looks; finding the queue
 * limited, it waits as a limited worker does (BullMQ's maximumRateLimitDelay), else it takes the
 * job. One command per refusal; an idle queue costs nothing.
 */
export function wakeAfterLimitedReturn(
  worker: Worker,
  /** The queue's marker key and a connection to write it. */
  marker: { key: string; redis: RedisConnection },
): void {
  const internals = internalsOf(worker);
  const moveBack = internals.moveLimitedBackToWait.bind(worker);
  internals.moveLimitedBackToWait = async (job, token) => {
    const limitMs = await moveBack(job, token);
    await marker.redis.zadd(marker.key, 0, "0");
    return limitMs;
  };
}

/**
 * Wakes the submit worker when a provider slot is freed while items wait: `wake` publishes on the
 * channel named after the submit queue's marker key, and this process's subscriber cuts short
 * the worker's rate-limit wait, so it fetches at once instead of at its next look
 * (slotWakeCheckMs, half a provider second). A worker blocked in its wait for new jobs is woken
 * by the marker the same script adds. Pub/sub delivers at most once: a message lost to a
 * reconnect leaves the next look as the fallback. The subscriber sends no command while idle.
 * Returns a function that stops listening.
 */
export async function wakeOnSlotRelease(
  worker: Worker,
  subscriber: RedisConnection,
  channel: string,
): Promise<() => void> {
  const internals = internalsOf(worker);
  const onMessage = (from: string) => {
    if (from === channel) internals.abortDelayController?.abort();
  };
  subscriber.on("message", onMessage);
  await subscriber.subscribe(channel);
  return () => {
    subscriber.off("message", onMessage);
    subscriber.disconnect();
  };
}
