import type { Worker } from "bullmq";
import type { RedisConnection } from "../store/connection/redis-connection.ts";

/** The part of BullMQ's Worker this module drives (a private method in its typings). */
interface StalledCheckInternals {
  moveStalledJobsToWait(): Promise<void>;
}

/**
 * BullMQ's stalled-job check (jobs whose worker died go back to wait), run every `intervalMs`
 * only while the queue has active jobs; the worker is made with `skipStalledCheck: true`.
 *
 * BullMQ's own checker runs its script every interval whatever the queue holds: 2 to 8 Redis
 * commands per queue per interval (5 s by default), which made up most of an idle worker's
 * traffic. A stalled job is always in the active list, and BullMQ marks the active jobs at one
 * check and recovers those still unlocked at the next, so skipping a check that finds the list
 * empty changes nothing; an idle queue costs one LLEN per interval. Returns a stop function.
 */
export function startStalledCheck(
  worker: Worker,
  /** The queue's active list (`queue.keys.active`) and a connection to read it. */
  active: { key: string; redis: RedisConnection },
  intervalMs: number,
  onError: (error: Error) => void,
): () => void {
  const internals = worker as unknown as StalledCheckInternals;
  if (typeof internals.moveStalledJobsToWait !== "function") {
    throw new Error("this BullMQ version has no Worker.moveStalledJobsToWait (stalled-check.ts)");
  }
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    try {
      if ((await active.redis.llen(active.key)) > 0) await internals.moveStalledJobsToWait();
    } catch (error) {
      if (!stopped) onError(error as Error);
    }
    if (!stopped) timer = setTimeout(check, intervalMs);
  };
  void check();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
