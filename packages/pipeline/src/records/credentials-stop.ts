import type { VeoqQueues } from "../jobs/queues.ts";
import type { BatchStore } from "./batch-store.ts";

/** Pauses submissions because the provider refused the credentials, and says why. */
export async function stopSubmissions(
  store: BatchStore,
  queues: VeoqQueues,
  reason: string,
): Promise<void> {
  await queues.submit.pause();
  await store.redis.set(store.keys.credentialsStop, reason);
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
