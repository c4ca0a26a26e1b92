import type { Job, Worker } from "bullmq";
import type { RedisConnection } from "../store/connection/redis-connection.ts";

/** The part of BullMQ's Worker this module wraps (a private method in its typings). */
interface LimitedReturnInternals {
  moveLimitedBackToWait(job: Job, token: string): Promise<number>;
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
  /** The queue's marker key (`queue.keys.marker`) and a connection to write it. */
  marker: { key: string; redis: RedisConnection },
): void {
  const internals = worker as unknown as LimitedReturnInternals;
  if (typeof internals.moveLimitedBackToWait !== "function") {
    throw new Error(
      "this BullMQ version has no Worker.moveLimitedBackToWait (limited-return-wake.ts)",
    );
  }
  const moveBack = internals.moveLimitedBackToWait.bind(worker);
  internals.moveLimitedBackToWait = async (job, token) => {
    const limitMs = await moveBack(job, token);
    await marker.redis.zadd(marker.key, 0, "0");
    return limitMs;
  };
}
