import type { RedisConnection } from "./connection/redis-connection.ts";
import { type RecordKeys, recordKeys } from "./keys.ts";

/** The width of one bucket of a batch's timeline (ms). */
export const TIMELINE_BUCKET_MS = 60_000;

/** One bucket of a batch's timeline: what happened in the minute starting at `at`. */
export interface TimelinePoint {
  /** Start of the bucket (ms). */
  at: number;
  /** Items that completed in it. */
  completed: number;
  /** Items that failed in it (for good). */
  failed: number;
  /** Money counted as spent in it (micro-units). */
  spentMicros: number;
}

const FIELD_NAMES = { c: "completed", f: "failed", s: "spentMicros" } as const;
const FIELD = /^(\d{1,12}):([cfs])$/;

/**
 * A batch's throughput and spend over time, a hash of per-minute counters (`<minute>:c`
 * completed, `:f` failed, `:s` micros spent) written as items finish and creates are paid for.
 * Its size grows with the batch's running time, never with its item count, so a chart reads it
 * in one HGETALL of at most three fields per minute the batch ran. The counters are for charts:
 * the batch record and the spend ledger stay the figures of record.
 */
export class BatchTimeline {
  readonly #redis: RedisConnection;
  readonly #keys: RecordKeys;

  constructor(redis: RedisConnection, prefix: string) {
    this.#redis = redis;
    this.#keys = recordKeys(prefix);
  }

  /** An item reached its final state at `at` (cancelled items are not throughput: not counted). */
  async countFinished(batchId: string, status: "completed" | "failed", at: number): Promise<void> {
    await this.#redis.hincrby(
      this.#keys.batchTimeline(batchId),
      `${bucketOf(at)}:${status === "completed" ? "c" : "f"}`,
      1,
    );
  }

  /** The batch's buckets, oldest first (those with nothing in them are absent). */
  async read(batchId: string): Promise<TimelinePoint[]> {
    return parseTimeline(await this.#redis.hgetall(this.#keys.batchTimeline(batchId)));
  }
}

/**
 * The field of money spent at `at`: settleSpendReservation.lua adds to it in the same step as it
 * books the money (store/spend-ledger.ts).
 */
export function spentField(at: number): string {
  return `${bucketOf(at)}:s`;
}

function bucketOf(at: number): number {
  return Math.floor(at / TIMELINE_BUCKET_MS);
}

/** The hash as points; a field or value no writer of this module makes is skipped. */
export function parseTimeline(fields: Record<string, string>): TimelinePoint[] {
  const points = new Map<number, TimelinePoint>();
  for (const [field, raw] of Object.entries(fields)) {
    const match = FIELD.exec(field);
    const value = Number(raw);
    if (!match || !Number.isSafeInteger(value) || value < 0) continue;
    const bucket = Number(match[1]);
    const point = points.get(bucket) ?? {
      at: bucket * TIMELINE_BUCKET_MS,
      completed: 0,
      failed: 0,
      spentMicros: 0,
    };
    point[FIELD_NAMES[match[2] as keyof typeof FIELD_NAMES]] += value;
    points.set(bucket, point);
  }
  return [...points.values()].sort((a, b) => a.at - b.at);
}
