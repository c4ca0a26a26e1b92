import type { BatchStore } from "../store/batch-store.ts";
import { runStoreScript } from "../store/store-scripts.ts";
import type { VeoqQueues } from "./queues.ts";

/** How the reason of a stop caused by the object store (not the provider) begins. */
export const OBJECT_STORE_STOP_PREFIX = "object store: ";

/** Pauses submissions because the provider refused the credentials, and says why. */
export async function stopSubmissions(
  store: BatchStore,
  queues: VeoqQueues,
  reason: string,
  now = Date.now(),
): Promise<void> {
  await queues.submit.pause();
  // When it began is set by the same script, so no resume comes between the stop and its start
  // time: its time is left out of the batches' elapsed time and rates (batch-overview.ts).
  await runStoreScript(
    store.redis,
    "stopSubmissions",
    [
      store.keys.credentialsStop,
      store.keys.accountWebhookOutbox,
      store.keys.accountWebhookSeq,
      store.keys.credentialsStopSince,
    ],
    [reason, now, store.keys.webhookOutboxWake],
  );
}

/** Ended credentials stops kept for the batches' elapsed time (the newest). */
const KEPT_STOP_TIMES = 200;

/**
 * The deployment's credentials stops (ms), oldest first, the one that holds now last with no
 * `end`: what overviewOf leaves out of elapsed time and rates.
 */
export async function credentialsStopTimes(
  store: BatchStore,
): Promise<{ start: number; end?: number }[]> {
  const [ended, since] = await Promise.all([
    store.redis.lrange(store.keys.credentialsStopTimes, 0, -1),
    store.redis.get(store.keys.credentialsStopSince),
  ]);
  const stops: { start: number; end?: number }[] = ended.flatMap((entry) => {
    const [start, end] = entry.split("-").map(Number);
    return Number.isFinite(start) && Number.isFinite(end)
      ? [{ start: start as number, end: end as number }]
      : [];
  });
  if (since !== null && Number.isFinite(Number(since))) stops.push({ start: Number(since) });
  return stops;
}

/** Why the submit queue is paused by a credentials stop, or undefined when it is not. */
export async function credentialsStopReason(store: BatchStore): Promise<string | undefined> {
  return (await store.redis.get(store.keys.credentialsStop)) ?? undefined;
}

/**
 * Pauses downloads because the object store refused the credentials, and says why: the same
 * stop as the provider's for submissions, for the download queue. Jobs wait, none fails.
 */
export async function stopDownloads(
  store: BatchStore,
  queues: VeoqQueues,
  reason: string,
): Promise<void> {
  await queues.download.pause();
  await store.redis.set(store.keys.downloadsStop, reason);
}

/** Why the download queue is paused by an object-store credentials stop, or undefined. */
export async function downloadsStopReason(store: BatchStore): Promise<string | undefined> {
  return (await store.redis.get(store.keys.downloadsStop)) ?? undefined;
}

/** Lifts a downloads stop (`veoq resume`, or a worker that finds the store working again). */
export async function resumeDownloads(store: BatchStore, queues: VeoqQueues): Promise<boolean> {
  const stopped = (await store.redis.del(store.keys.downloadsStop)) > 0;
  if (stopped) await queues.download.resume();
  return stopped;
}

/**
 * Resumes submissions after a credentials stop (or any pause of the submit queue), and downloads
 * after an object-store credentials stop. True when either was stopped.
 */
export async function resumeSubmissions(
  store: BatchStore,
  queues: VeoqQueues,
  now = Date.now(),
): Promise<boolean> {
  const wasPaused = await queues.submit.isPaused();
  // The stop ended: its times join the list the batches' elapsed time leaves out (one script
  // with the stop's removal, as the stop script sets both).
  await runStoreScript(
    store.redis,
    "liftCredentialsStop",
    [store.keys.credentialsStop, store.keys.credentialsStopSince, store.keys.credentialsStopTimes],
    [now, KEPT_STOP_TIMES],
  );
  await queues.submit.removeRateLimitKey();
  await queues.submit.resume();
  const downloadsWereStopped = await resumeDownloads(store, queues);
  return wasPaused || downloadsWereStopped;
}
