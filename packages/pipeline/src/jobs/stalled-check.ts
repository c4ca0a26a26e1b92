import type { Worker } from "bullmq";
import type { RedisConnection } from "../store/connection/redis-connection.ts";

/** The part of BullMQ's Worker this module drives (a private method in its typings). */
interface StalledCheckInternals {
  moveStalledJobsToWait(): Promise<void>;
}

/** How often the check looks (real ms). */
export interface StalledCheckIntervals {
  /** While the queue has active jobs: BullMQ's stalledInterval (VEOQ_STALLED_INTERVAL_MS). */
  intervalMs: number;
  /**
   * The job lock's lifetime (VEOQ_LOCK_DURATION_MS): while the queue has no active job it is
   * looked at every `lockDurationMs - intervalMs` (at least every `intervalMs`). Without it,
   * every `intervalMs`.
   */
  lockDurationMs?: number;
}

/**
 * BullMQ's stalled-job check (jobs whose worker died go back to wait), run every `intervalMs`
 * only while the queue has active jobs; the worker is made with `skipStalledCheck: true`.
 *
 * BullMQ's own checker runs its script every interval whatever the queue holds: 2 to 8 Redis
 * commands per queue per interval (5 s by default), which made up most of an idle worker's
 * traffic. A stalled job is always in the active list, and BullMQ marks the active jobs at one
 * check and recovers those still unlocked at the next, so skipping a check that finds the list
 * empty changes nothing; an idle queue costs one LLEN per look.
 *
 * While the list is empty it is looked at less often. A job can stall no earlier than its lock's
 * lifetime after it became active (the lock is taken with it), so a look one interval less than
 * that after the list was last seen empty finds the job while its lock still holds: the check
 * marks it then (or the next, one interval later, if another process's check had just run), and
 * the first check after the lock expired recovers it, as when every interval looked. With the
 * defaults (5 s, 15 s lock) an idle queue costs one LLEN per 10 s. Returns a stop function.
 */
export function startStalledCheck(
  worker: Worker,
  /** The queue's active list (`queue.keys.active`) and a connection to read it. */
  active: { key: string; redis: RedisConnection },
  intervals: StalledCheckIntervals,
  onError: (error: Error) => void,
): () => void {
  const internals = worker as unknown as StalledCheckInternals;
  if (typeof internals.moveStalledJobsToWait !== "function") {
    throw new Error("this BullMQ version has no Worker.moveStalledJobsToWait (stalled-check.ts)");
  }
  const busyMs = intervals.intervalMs;
  const idleMs = Math.max(busyMs, (intervals.lockDurationMs ?? 0) - busyMs);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    // After an error, as if busy: the next look comes soon.
    let nextMs = busyMs;
    try {
      if ((await active.redis.llen(active.key)) > 0) await internals.moveStalledJobsToWait();
      else nextMs = idleMs;
    } catch (error) {
      if (!stopped) onError(error as Error);
    }
    if (!stopped) timer = setTimeout(check, nextMs);
  };
  void check();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
