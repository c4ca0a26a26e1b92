import type { QueueRole, RedisConnection, VeoqQueues } from "@veoq/pipeline";

/** One of veoq's three BullMQ queues. */
type VeoqQueue = VeoqQueues[QueueRole];

/**
 * BullMQ scores a delayed job `timestamp * 0x1000 + counter` (commands/includes/
 * getDelayedScore.lua): every score below `(now + 1) * 0x1000` is a job whose time has come.
 */
const DELAYED_SCORE_FACTOR = 0x1000;

/** The counts a queue's due jobs are made of. */
export interface DueJobCounts {
  waiting: number;
  prioritized: number;
  /** Delayed jobs whose delay has passed (a worker promotes them when it next looks). */
  dueDelayed: number;
}

/** Jobs a worker of this queue could start now: waiting, prioritized, and delayed but due. */
export function dueJobsOf(counts: DueJobCounts): number {
  return counts.waiting + counts.prioritized + counts.dueDelayed;
}

/** Delayed jobs of `queue` whose time has come at `now` (ms). */
export async function countDueDelayed(queue: VeoqQueue, now: number): Promise<number> {
  // BullMQ types its client loosely (IRedisClient); it is the ioredis connection createQueues got.
  const client = (await queue.client) as unknown as RedisConnection;
  return client.zcount(queue.keys.delayed as string, 0, (now + 1) * DELAYED_SCORE_FACTOR - 1);
}

/**
 * The due jobs of one queue, read from Redis; 0 while the queue is paused (a credentials stop
 * or `veoq pause`: nothing is due until someone resumes it).
 */
export async function readDueJobs(queue: VeoqQueue, now: number): Promise<number> {
  if (await queue.isPaused()) return 0;
  const [counts, dueDelayed] = await Promise.all([
    queue.getJobCounts("waiting", "prioritized"),
    countDueDelayed(queue, now),
  ]);
  return dueJobsOf({
    waiting: counts.waiting ?? 0,
    prioritized: counts.prioritized ?? 0,
    dueDelayed,
  });
}
