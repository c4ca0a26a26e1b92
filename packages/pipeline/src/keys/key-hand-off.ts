import type { VeoqQueues } from "../jobs/queues.ts";
import type { RedisConnection } from "../store/connection/redis-connection.ts";
import { recordKeys } from "../store/keys.ts";

/** The stages whose jobs are pinned to the key that created their task. */
export type PinnedRole = "poll" | "download";

/** Jobs promoted per key and look. */
const BATCH = 100;

/** The member of a key's wait set for one job: "<role>|<job id>". */
function member(role: PinnedRole, jobId: string): string {
  return `${role}|${jobId}`;
}

/**
 * A worker without the key `name` left the job (stages/pipeline-context.ts): it is listed for a worker
 * with the key to promote (`startKeyHandOff`), which then most likely takes it itself (its
 * blocked fetch has waited longest), instead of whichever worker wakes first when the delay ends.
 */
export async function listKeyWait(
  redis: RedisConnection,
  prefix: string,
  name: string,
  role: PinnedRole,
  jobId: string,
  now: number,
): Promise<void> {
  await redis.zadd(recordKeys(prefix).keyWaits(name), now, member(role, jobId));
}

export interface KeyHandOffOptions {
  redis: RedisConnection;
  prefix: string;
  queues: VeoqQueues;
  /** The names of the keys this process holds, and the pinned stages it works on. */
  keys: readonly string[];
  roles: readonly PinnedRole[];
  intervalMs: number;
  /** Told when a look fails (Redis away); the next look tries again. */
  onError: (error: unknown) => void;
}

/**
 * The hand-off's other end, in every worker process with a poll or download role: every
 * `intervalMs` it takes the jobs left for a key it holds (`listKeyWait`) and promotes those
 * still delayed, so a job pinned to a key reaches a worker that has it within about the
 * interval. A job it promoted that another worker without the key takes again is left and
 * listed again (with its bounded backoff), so a hand-off never loops fast. Returns the stop.
 */
export function startKeyHandOff(options: KeyHandOffOptions): () => void {
  const { redis, queues } = options;
  const keys = recordKeys(options.prefix);
  let running = false;
  const look = async () => {
    for (const name of options.keys) {
      const waiting = await redis.zrange(keys.keyWaits(name), 0, BATCH - 1);
      for (const entry of waiting) {
        const bar = entry.indexOf("|");
        const role = entry.slice(0, bar) as PinnedRole;
        // Left for a worker of that stage with the key (this process may not run it).
        if (!options.roles.includes(role)) continue;
        // Taken off first: two holders of the key do not both promote it.
        if ((await redis.zrem(keys.keyWaits(name), entry)) === 0) continue;
        const job = await queues[role].getJob(entry.slice(bar + 1));
        if (job !== undefined && (await job.isDelayed())) {
          await job.promote().catch(() => undefined); // no longer delayed: nothing to do
        }
      }
    }
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    look()
      .catch(options.onError)
      .finally(() => {
        running = false;
      });
  }, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
