import type { RedisConnection } from "./connection/redis-connection.ts";
import { recordKeys } from "./keys.ts";
import { runStoreScript } from "./store-scripts.ts";

/**
 * "enqueue incomplete: N of M lines": how far an enqueue of the batch got that did not reach the
 * end of its manifest (interrupted, Redis lost, the process killed). Kept in the batch record's
 * hash (fields below) from the start of an enqueue's adding phase; each chunk written raises N;
 * only an enqueue that went through every line removes it. So a batch whose manifest is only
 * partly in says so (status, --json, the API, the dashboard) until the same enqueue, run again,
 * completes.
 */
export interface EnqueueIncomplete {
  /** Manifest lines (non-blank) the enqueue got through: their items are in the batch. */
  lines: number;
  /** Non-blank lines of the manifest. */
  totalLines: number;
}

/** Field names, also in scripts/raiseEnqueueMark.lua. */
const LINES_FIELD = "enqueueLines";
const TOTAL_FIELD = "enqueueTotalLines";

/** Reads the mark from a batch record's fields (BatchStore.getBatch); undefined when complete. */
export function enqueueIncompleteOf(
  fields: Record<string, string | undefined>,
): EnqueueIncomplete | undefined {
  const lines = Number(fields[LINES_FIELD]);
  const totalLines = Number(fields[TOTAL_FIELD]);
  if (fields[TOTAL_FIELD] === undefined || !Number.isInteger(lines)) return undefined;
  if (!Number.isInteger(totalLines) || totalLines < 0) return undefined;
  return { lines: Math.min(Math.max(0, lines), totalLines), totalLines };
}

/** Writes and removes one batch's enqueue mark. */
export class EnqueueMark {
  private readonly redis: RedisConnection;
  private readonly key: string;

  constructor(redis: RedisConnection, prefix: string, batchId: string) {
    this.redis = redis;
    this.key = recordKeys(prefix).batch(batchId);
  }

  /**
   * An enqueue of `totalLines` lines starts adding: the batch is incomplete until `complete`.
   * A mark left by an earlier run keeps the lines it counted (this run re-checks them).
   */
  async begin(totalLines: number): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key, TOTAL_FIELD, String(totalLines))
      .hsetnx(this.key, LINES_FIELD, "0")
      .exec();
  }

  /** The first `lines` lines of the manifest are in the batch. */
  async reached(lines: number): Promise<void> {
    await runStoreScript(this.redis, "raiseEnqueueMark", [this.key], [lines]);
  }

  /** Every line of the manifest is in: the batch is no longer marked incomplete. */
  async complete(): Promise<void> {
    await this.redis.hdel(this.key, LINES_FIELD, TOTAL_FIELD);
  }
}
