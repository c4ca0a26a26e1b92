import type { RedisConnection } from "./connection/redis-connection.ts";
import { type RecordKeys, recordKeys } from "./keys.ts";
import { LuaScript } from "./lua-script.ts";
import { deadlineLua } from "./server-deadline.ts";

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

/**
 * Pauses unless cancelled; a user pause replaces a budget pause, a budget pause never replaces a
 * user one (it would be lifted by `veoq budget`). KEYS: control hash. ARGV: reason, now,
 * deadline. Returns 1 when the state changed, -1 past the deadline.
 */
const PAUSE = new LuaScript(`${deadlineLua(3)}
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'cancelled' then return 0 end
if state == 'paused' then
  local reason = redis.call('HGET', KEYS[1], 'reason')
  if reason == ARGV[1] or reason == 'user' then return 0 end
end
redis.call('HSET', KEYS[1], 'state', 'paused', 'reason', ARGV[1], 'at', ARGV[2])
return 1
`);

/**
 * Lifts a pause (any reason, or only the given one). KEYS: control hash. ARGV: reason or "",
 * deadline. Returns 1 when the batch was paused and now runs, -1 past the deadline.
 */
const RESUME = new LuaScript(`${deadlineLua(2)}
if redis.call('HGET', KEYS[1], 'state') ~= 'paused' then return 0 end
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'reason') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);

/**
 * Cancels (for good); a second cancel may add --drop-in-flight but never takes it back.
 * KEYS: control hash. ARGV: dropInFlight ("1"/"0"), now, deadline. Returns 1 when the state
 * changed, -1 past the deadline.
 */
const CANCEL = new LuaScript(`${deadlineLua(3)}
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'cancelled' and (ARGV[1] == '0' or redis.call('HGET', KEYS[1], 'dropInFlight') == '1') then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'dropInFlight', ARGV[1], 'at', ARGV[2])
return 1
`);

/** Lifts a cancel (for `veoq retry --cancelled`). KEYS: control hash. Returns 1 when it was cancelled. */
const REOPEN = new LuaScript(`
if redis.call('HGET', KEYS[1], 'state') ~= 'cancelled' then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);

/** Parses a control hash as read from Redis (it may come from older code: anything odd runs). */
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
 * before each create (see submit-gate.ts). A change stops every create that has not passed that
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
      await PAUSE.run(this.redis, [this.keys.batchControl(batchId)], [reason, now, deadline ?? ""]),
    );
  }

  /** True when this call lifted a pause (of `onlyReason`, when given). */
  async resume(batchId: string, onlyReason?: PauseReason, deadline?: number): Promise<boolean> {
    return applied(
      await RESUME.run(
        this.redis,
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
      await CANCEL.run(
        this.redis,
        [this.keys.batchControl(batchId)],
        [dropInFlight ? "1" : "0", now, deadline ?? ""],
      ),
    );
  }

  /** Lifts a cancel so its items can run again; true when the batch was cancelled. */
  async reopen(batchId: string): Promise<boolean> {
    return (await REOPEN.run(this.redis, [this.keys.batchControl(batchId)], [])) === 1;
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
