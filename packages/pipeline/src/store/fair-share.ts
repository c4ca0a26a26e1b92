import type { Queue } from "bullmq";
import type { RedisConnection } from "./connection/redis-connection.ts";
import { recordKeys } from "./keys.ts";
import { runStoreScript } from "./store-scripts.ts";

/**
 * Fair share of the provider's slots between batches, and batch priority, with plain BullMQ
 * job priorities (start-time fair queuing).
 *
 * The rule: every submit job carries a turn, `arrival + index`: its batch's arrival on a
 * virtual clock plus the item's index within the batch. The clock is the turn of the latest
 * item handed a slot, so a batch enqueued while another runs starts level with it and the two
 * alternate: a 10-item batch behind a 2,000-item one has its items created within about one
 * round of slot turnover. The job's BullMQ priority is `1 + turn + LEVEL_OFFSET[level]`: a high
 * batch goes before normal ones that started up to 10,000 turns after it, a low one after
 * normal ones that started up to 10,000 turns before it. The offset is bounded, so a low item
 * waits at most about 20,000 creates of higher levels past its turn (at 50 creates a minute,
 * under 7 hours; never forever): newer higher-level work cannot keep overtaking it.
 *
 * BullMQ priorities stop at 2,097,152. The clock restarts at 0 when a batch is enqueued onto a
 * submit queue that has no waiting jobs, so it only grows while the queue stays busy; a turn
 * past the limit is held at it, and such items are served first-in first-out after the others.
 * Re-submissions after a failed task carry no priority (0), so BullMQ serves them before every
 * prioritised job (few, and already waited once).
 * A rate-limited job (RateLimitError) keeps its priority when BullMQ moves it back.
 */
export const PRIORITY_LEVELS = ["high", "normal", "low"] as const;
export type PriorityLevel = (typeof PRIORITY_LEVELS)[number];

/** Turns a level is shifted by (see the rule above). */
export const LEVEL_OFFSET: Readonly<Record<PriorityLevel, number>> = {
  high: 0,
  normal: 10_000,
  low: 20_000,
};

/** BullMQ's largest job priority. */
export const MAX_JOB_PRIORITY = 2_097_152;

/** The BullMQ priority of a turn at a level. */
export function fairPriority(turn: number, level: PriorityLevel): number {
  return Math.min(MAX_JOB_PRIORITY, 1 + Math.max(0, Math.floor(turn)) + LEVEL_OFFSET[level]);
}

export function isPriorityLevel(value: unknown): value is PriorityLevel {
  return typeof value === "string" && (PRIORITY_LEVELS as readonly string[]).includes(value);
}

/** The virtual clock and each batch's level, under a key prefix. */
export class FairShare {
  private readonly clockKey: string;
  private readonly levelsKey: string;

  private readonly redis: RedisConnection;

  /** `prefix`: the deployment's key prefix (VEOQ_PREFIX), the submit queue's own. */
  constructor(redis: RedisConnection, prefix: string) {
    this.redis = redis;
    const keys = recordKeys(prefix);
    this.clockKey = keys.fairShareClock;
    this.levelsKey = keys.batchPriorities;
  }

  /**
   * A batch's arrival on the clock: the clock now, after restarting it at 0 if the submit queue
   * has no waiting jobs (so the clock stays far below BullMQ's priority limit).
   */
  async arrival(submit: Queue): Promise<number> {
    const counts = await submit.getJobCounts("wait", "prioritized", "delayed", "paused");
    const waiting = Object.values(counts).reduce((a, b) => a + b, 0);
    if (waiting === 0) {
      await this.redis.set(this.clockKey, "0");
      return 0;
    }
    return Number((await this.redis.get(this.clockKey)) ?? 0);
  }

  /** An item with this turn is being created: the clock moves up to it. */
  async advance(turn: number): Promise<void> {
    await runStoreScript(this.redis, "advanceFairShareClock", [this.clockKey], [Math.floor(turn)]);
  }

  async setLevel(batchId: string, level: PriorityLevel): Promise<void> {
    await this.redis.hset(this.levelsKey, batchId, level);
  }

  /** A batch's level; "normal" when none was set (`enqueue --priority`, `veoq priority`). */
  async levelOf(batchId: string): Promise<PriorityLevel> {
    const level = await this.redis.hget(this.levelsKey, batchId);
    return isPriorityLevel(level) ? level : "normal";
  }

  async levelsOf(batchIds: readonly string[]): Promise<PriorityLevel[]> {
    if (batchIds.length === 0) return [];
    const levels = await this.redis.hmget(this.levelsKey, ...batchIds);
    return levels.map((level) => (isPriorityLevel(level) ? level : "normal"));
  }
}
