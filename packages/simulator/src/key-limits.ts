import type { SimulatorContext } from "./simulator-context.ts";
import { takeToken } from "./token-bucket.ts";

/**
 * One simulated provider account's own limits (`veoq mock --keys`), checked on each create of
 * that key after the request-wide checks. Every limit is off when unset. With such accounts, a
 * task is seen only by the key that created it (handle-task-result.ts answers another key 404).
 */
export interface KeyLimit {
  /** Tasks the key may have QUEUED or PROCESSING at once; beyond it 429 "too many concurrent tasks". */
  maxConcurrentTasks?: number;
  /** Creates per real minute; beyond it 429 "rate limit exceeded" with Retry-After. */
  createsPerMinute?: number;
  /** Creates the account's balance pays for; the next one gets 402 "insufficient balance". */
  credit?: number;
}

/** How a create of a key with its own limits is refused, or undefined when it may go on. */
export type KeyLimitRefusal =
  | { status: 402; message: string }
  | { status: 429; message: string; retryAfterSeconds: number };

/**
 * Checks a create of `key` against its own limits, in the order credit, pace, concurrency; a
 * create that passes takes its token of the key's create pace (credit is counted when the task
 * is made: `chargeCredit`).
 */
export function checkKeyLimit(
  ctx: SimulatorContext,
  key: string,
  nowMs: number,
): KeyLimitRefusal | undefined {
  const limit = ctx.options.keyLimits[key];
  if (limit === undefined) return undefined;
  if (limit.credit !== undefined && (ctx.creditUsed.get(key) ?? 0) >= limit.credit) {
    return { status: 402, message: "insufficient balance" };
  }
  if (
    limit.maxConcurrentTasks !== undefined &&
    ctx.store.inFlightOf(key, nowMs) >= limit.maxConcurrentTasks
  ) {
    return {
      status: 429,
      message: "too many concurrent tasks",
      retryAfterSeconds: Math.max(1, Math.ceil(ctx.faults.concurrencyRetryAfterSeconds)),
    };
  }
  if (limit.createsPerMinute !== undefined && limit.createsPerMinute > 0) {
    const rate = { requestsPerSecond: limit.createsPerMinute / 60, burst: 1 };
    const take = takeToken(ctx.createBuckets.get(key), rate, nowMs);
    ctx.createBuckets.set(key, take.state);
    if (!take.allowed) {
      return {
        status: 429,
        message: "rate limit exceeded",
        retryAfterSeconds: Math.max(1, Math.ceil(take.waitMs / 1000)),
      };
    }
  }
  return undefined;
}

/** A task was made on `key`: one create of its credit is used. */
export function chargeCredit(ctx: SimulatorContext, key: string): void {
  ctx.creditUsed.set(key, (ctx.creditUsed.get(key) ?? 0) + 1);
}
