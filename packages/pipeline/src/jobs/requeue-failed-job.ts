import type { Job, Queue } from "bullmq";
// BullMQ's own script behind Job.retry, run here behind a deadline (see REQUEUE_FAILED_JOB).
import { reprocessJob } from "bullmq/dist/esm/scripts/reprocessJob-8.js";
import type { RedisConnection } from "../store/connection/redis-connection.ts";
import { LuaScript } from "../store/lua-script.ts";
import { deadlineLua } from "../store/server-deadline.ts";

/**
 * Job.retry("failed") with a deadline, and the job's new data set in the same atomic step:
 * nothing is written when Redis runs it after ARGV[7] (ms on the Redis server's clock, "" for
 * none), so a re-queue that waited behind a stalled Redis is refused once Redis runs again.
 * The rest is BullMQ's reprocessJob script, unchanged (KEYS and ARGV[1..6] as BullMQ passes
 * them), called as a function. ARGV[8]: the job's new data (JSON), "" to keep it.
 * Returns 1 when re-queued, -1 no such job, -3 not failed, -100 past the deadline.
 */
const REQUEUE_FAILED_JOB = new LuaScript(`${deadlineLua(7, "-100")}
local function reprocess(KEYS, ARGV)
${reprocessJob.content}
end
if ARGV[8] ~= '' and redis.call('ZSCORE', KEYS[3], ARGV[1]) then
  redis.call('HSET', KEYS[1], 'data', ARGV[8])
end
return reprocess(KEYS, ARGV)
`);

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
  const reply = await REQUEUE_FAILED_JOB.run(redis, keys, args);
  if (reply === -100) throw new RequeueDeadlineError();
  return reply === 1;
}
