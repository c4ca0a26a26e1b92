import type { Worker } from "bullmq";
import type { RedisConnection } from "../store/connection/redis-connection.ts";

/** The part of BullMQ's Worker this module drives (a private field in its typings). */
interface RateLimitWaitInternals {
  /** Aborts the worker's current local wait (a rate limit's, BullMQ's maximumRateLimitDelay). */
  abortDelayController: AbortController | null;
}

/**
 * Wakes the submit worker when a provider slot is freed while items wait: the release script
 * (store/provider-slots.ts) publishes on the channel named after the submit queue's marker key,
 * and this process's subscriber cuts short the worker's rate-limit wait, so it fetches at once
 * instead of at its next look (slotWakeCheckMs, half a provider second). A worker blocked in its
 * wait for new jobs is woken by the marker the same script adds. Pub/sub delivers at most once:
 * a message lost to a reconnect leaves the next look as the fallback. The subscriber sends no
 * command while idle. Returns a function that stops listening.
 */
export async function wakeOnSlotRelease(
  worker: Worker,
  subscriber: RedisConnection,
  channel: string,
): Promise<() => void> {
  const internals = worker as unknown as RateLimitWaitInternals;
  if (!("abortDelayController" in internals)) {
    throw new Error(
      "this BullMQ version has no Worker.abortDelayController (slot-release-wake.ts)",
    );
  }
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
