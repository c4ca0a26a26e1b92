import type { Job, Queue } from "bullmq";
import type { RedisConnection } from "../store/connection/redis-connection.ts";
import { runStoreScript } from "../store/store-scripts.ts";

/** A write with a deadline that reached Redis after it: nothing was written. */
export class RequeueDeadlineError extends Error {
  override name = "RequeueDeadlineError";
  constructor() {
    super("not applied: Redis took the re-queue only after its deadline (it was stalled or slow)");
  }
}

/**
 * Moves a failed job back to wait with fresh attempts (`resetAttemptsMade`/`Started`), as
 * `job.retry("failed", …)` does, with `data` as its new data when given. With `deadline` (ms,
 * Redis server clock: see redisServerDeadline) it throws RequeueDeadlineError, having written
 * nothing, when Redis runs it later. Returns false when the job is gone or no longer failed.
 */
export async function requeueFailedJob(
  redis: RedisConnection,
  queue: Queue,
  job: Job,
  options: { data?: unknown; deadline?: number | undefined },
): Promise<boolean> {
  const id = String(job.id);
  const keys = [
    queue.toKey(id),
    queue.keys.events as string,
    queue.toKey("failed"),
    queue.keys.wait as string,
    queue.keys.meta as string,
    queue.keys.paused as string,
    queue.keys.active as string,
    queue.keys.marker as string,
  ];
  const args = [
    id,
    job.opts.lifo ? "RPUSH" : "LPUSH",
    "failedReason",
    "failed",
    "1",
    "1",
    options.deadline === undefined ? "" : String(options.deadline),
    options.data === undefined ? "" : JSON.stringify(options.data),
  ];
  const reply = await runStoreScript(redis, "requeueFailedJob", keys, args);
  if (reply === -100) throw new RequeueDeadlineError();
  return reply === 1;
}
