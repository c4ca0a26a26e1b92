import type { RedisConnection } from "./connection/redis-connection.ts";
import { type RecordKeys, recordKeys } from "./keys.ts";
import { runStoreScript } from "./store-scripts.ts";

export { redisServerDeadline } from "./server-deadline.ts";

/** Why a batch is paused: by a person (`veoq pause`) or because its next item did not fit its budget. */
export const PAUSE_REASONS = ["user", "budget", "daily_budget"] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

/** A batch's lifecycle as `veoq pause|resume|cancel` set it; no record means it runs. */
export type BatchControlState =
  | { state: "running" }
  | { state: "paused"; reason: PauseReason; at: number }
  | { state: "cancelled"; dropInFlight: boolean; at: number };

/** A control write that reached Redis after its deadline: it was not applied. */
export class ControlDeadlineError extends Error {
  override name = "ControlDeadlineError";
}

/** Parses a control hash as read from Redis (anything it does not know runs). */
export function parseBatchControl(fields: Record<string, string>): BatchControlState {
  const at = Number(fields.at ?? 0);
  if (fields.state === "cancelled") {
    return { state: "cancelled", dropInFlight: fields.dropInFlight === "1", at };
  }
  if (fields.state === "paused") {
    const reason = (PAUSE_REASONS as readonly string[]).includes(fields.reason ?? "")
      ? (fields.reason as PauseReason)
      : "user";
    return { state: "paused", reason, at };
  }
  return { state: "running" };
}

/**
 * Pause, resume and cancel of one batch: a small hash the submit stage reads atomically right
 * before each create (see passSubmitGate in stages/submit-attempt.ts). A change stops every create that has not passed that
 * check; creates already past it still land, at most VEOQ_SUBMIT_CONCURRENCY per worker process
 * (measured: 12 for 3 x 4, see docs/reliability.md). Stateless apart from the connection.
 */
export class BatchControl {
  readonly keys: RecordKeys;
  private readonly redis: RedisConnection;

  constructor(redis: RedisConnection, prefix: string) {
    this.redis = redis;
    this.keys = recordKeys(prefix);
  }

  async read(batchId: string): Promise<BatchControlState> {
    return parseBatchControl(await this.redis.hgetall(this.keys.batchControl(batchId)));
  }

  /** Reads many batches' control in one round trip. */
  async readMany(batchIds: readonly string[]): Promise<BatchControlState[]> {
    if (batchIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of batchIds) pipeline.hgetall(this.keys.batchControl(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([, fields]) =>
      parseBatchControl((fields as Record<string, string> | null) ?? {}),
    );
  }

  /**
   * True when this call paused the batch (false: already paused, or cancelled). With a
   * `deadline` (ms, Redis server clock: see redisServerDeadline) a write that reaches Redis later
   * is not applied and throws ControlDeadlineError; the same for resume and cancel.
   */
  async pause(
    batchId: string,
    reason: PauseReason,
    now = Date.now(),
    deadline?: number,
  ): Promise<boolean> {
    return applied(
      await runStoreScript(
        this.redis,
        "pauseBatch",
        [this.keys.batchControl(batchId)],
        [reason, now, deadline ?? ""],
      ),
    );
  }

  /** True when this call lifted a pause (of `onlyReason`, when given). */
  async resume(batchId: string, onlyReason?: PauseReason, deadline?: number): Promise<boolean> {
    return applied(
      await runStoreScript(
        this.redis,
        "resumeBatch",
        [this.keys.batchControl(batchId)],
        [onlyReason ?? "", deadline ?? ""],
      ),
    );
  }

  /** True when this call changed the state (first cancel, or the first with dropInFlight). */
  async cancel(
    batchId: string,
    dropInFlight: boolean,
    now = Date.now(),
    deadline?: number,
  ): Promise<boolean> {
    return applied(
      await runStoreScript(
        this.redis,
        "cancelBatch",
        [this.keys.batchControl(batchId)],
        [dropInFlight ? "1" : "0", now, deadline ?? ""],
      ),
    );
  }

  /** Lifts a cancel so its items can run again; true when the batch was cancelled. */
  async reopen(batchId: string): Promise<boolean> {
    return (
      (await runStoreScript(this.redis, "reopenBatch", [this.keys.batchControl(batchId)], [])) === 1
    );
  }
}

function applied(reply: unknown): boolean {
  if (reply === -1) {
    throw new ControlDeadlineError(
      "not applied: Redis took the change only after its deadline (it was stalled or slow)",
    );
  }
  return reply === 1;
}
