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
  const waits = recordKeys(prefix).keyWaits(name);
  // The message wakes a holder of the key at once (`startKeyHandOff`); the listing is what a
  // holder that missed it (not subscribed yet, reconnecting) finds at its next sweep.
  await redis.pipeline().zadd(waits, now, member(role, jobId)).publish(waits, "1").exec();
}

export interface KeyHandOffOptions {
  redis: RedisConnection;
  /** A connection of its own, used only to subscribe to the wait sets' messages. */
  subscriber: RedisConnection;
  prefix: string;
  queues: VeoqQueues;
  /** The names of the keys this process holds, and the pinned stages it works on. */
  keys: readonly string[];
  roles: readonly PinnedRole[];
  /**
   * Real ms between sweeps for jobs listed while no message reached this process: an idle
   * worker costs Redis one read per held key per sweep, nothing in between.
   */
  sweepMs: number;
  /** Told when a look fails (Redis away); the next look tries again. */
  onError: (error: unknown) => void;
}

/**
 * The hand-off's other end, in every worker process with a poll or download role: when a job is
 * listed for a key it holds (`listKeyWait` publishes on the wait set's name), and at every
 * sweep, it takes the jobs left for that key and promotes those still delayed, so a job pinned
 * to a key reaches a worker that has it at once. A job it promoted that another worker without
 * the key takes again is left and listed again (with its bounded backoff), so a hand-off never
 * loops fast. Returns the stop.
 */
export function startKeyHandOff(options: KeyHandOffOptions): () => void {
  const { redis, queues, subscriber } = options;
  const keys = recordKeys(options.prefix);
  const channels = new Map(options.keys.map((name) => [keys.keyWaits(name), name]));
  const lookAt = async (name: string) => {
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
  };
  // One look per key at a time; a message during a look asks for one more after it.
  const looking = new Map<string, boolean>();
  const look = (name: string) => {
    if (looking.has(name)) {
      looking.set(name, true);
      return;
    }
    looking.set(name, false);
    lookAt(name)
      .catch(options.onError)
      .finally(() => {
        const again = looking.get(name) === true;
        looking.delete(name);
        if (again) look(name);
      });
  };
  const sweep = () => {
    for (const name of options.keys) look(name);
  };
  const onMessage = (channel: string) => {
    const name = channels.get(channel);
    if (name !== undefined) look(name);
  };
  subscriber.on("message", onMessage);
  subscriber
    .subscribe(...channels.keys())
    .then(sweep) // what was listed before the subscription took
    .catch(options.onError);
  const timer = setInterval(sweep, options.sweepMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    subscriber.off("message", onMessage);
    subscriber.disconnect();
  };
}
