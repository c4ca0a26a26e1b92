import type { CostEstimate } from "@veoq/pricing";
import type { RedisConnection } from "./connection/redis-connection.ts";
import { type RecordKeys, recordKeys } from "./keys.ts";
import { LuaScript } from "./lua-script.ts";
import { EMIT_PAUSE_EVENT_LUA } from "./webhook-outbox.ts";

/** Daily spend records outlive their day by a week (status shows today's; older ones only help debugging). */
const DAILY_TTL_SECONDS = 8 * 24 * 3600;

/** What the gate before a create decided. */
export type GateDecision =
  /** Create now: the cost is reserved against the batch budget and the daily cap. */
  | "go"
  /** The batch is paused (by a person or by an earlier budget stop): wait. */
  | "paused"
  /** The item does not fit the batch budget: the batch is now paused with reason `budget`. */
  | "budget"
  /** The item does not fit today's VEOQ_DAILY_BUDGET: paused with reason `daily_budget` until the UTC day ends. */
  | "daily_budget"
  /** The batch is cancelled: the item ends as `cancelled`. */
  | "cancelled";

/**
 * The one check right before a create, atomic across workers: reads the batch's pause/cancel,
 * then reserves the item's cost against the batch budget and the daily cap, or pauses the batch
 * when it does not fit. A holder that already has a reservation (a retry after a crash between
 * reservation and create) goes on without reserving twice.
 * A pause made here writes its batch.paused entry to the account's webhook outbox in the same
 * step (store/webhook-outbox.ts).
 * KEYS: control, batch spend, reservations, reservation times, daily spend, account webhook
 * outbox, its counter.
 * ARGV: holder, cost micros, daily budget micros or "", now, UTC day, batch id.
 */
const GATE = new LuaScript(`${EMIT_PAUSE_EVENT_LUA}
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'cancelled' then return 'cancelled' end
if state == 'paused' then
  if redis.call('HGET', KEYS[1], 'reason') == 'daily_budget' and redis.call('HGET', KEYS[1], 'day') ~= ARGV[5] then
    redis.call('DEL', KEYS[1])
  else
    return 'paused'
  end
end
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 'go' end
local cost = tonumber(ARGV[2])
local budget = redis.call('HGET', KEYS[2], 'budgetMicros')
if budget then
  local used = tonumber(redis.call('HGET', KEYS[2], 'spentMicros') or '0')
    + tonumber(redis.call('HGET', KEYS[2], 'reservedMicros') or '0')
  if used + cost > tonumber(budget) then
    redis.call('HSET', KEYS[1], 'state', 'paused', 'reason', 'budget', 'at', ARGV[4])
    emitPauseEvent(KEYS[7], KEYS[6], ARGV[6], 'p', 'budget', '', ARGV[4])
    return 'budget'
  end
end
if ARGV[3] ~= '' then
  local used = tonumber(redis.call('HGET', KEYS[5], 'spentMicros') or '0')
    + tonumber(redis.call('HGET', KEYS[5], 'reservedMicros') or '0')
  if used + cost > tonumber(ARGV[3]) then
    redis.call('HSET', KEYS[1], 'state', 'paused', 'reason', 'daily_budget', 'at', ARGV[4], 'day', ARGV[5])
    emitPauseEvent(KEYS[7], KEYS[6], ARGV[6], 'p', 'daily_budget', '', ARGV[4])
    return 'daily_budget'
  end
end
redis.call('HINCRBY', KEYS[2], 'reservedMicros', cost)
redis.call('HINCRBY', KEYS[5], 'reservedMicros', cost)
redis.call('EXPIRE', KEYS[5], ${DAILY_TTL_SECONDS})
redis.call('HSET', KEYS[3], ARGV[1], ARGV[5] .. '|' .. ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
return 'go'
`);

/**
 * Ends a reservation: its cost becomes spent ("spent": the create happened or may have) or is
 * given back ("released": it certainly did not). Runs once per reservation: a second call finds
 * it gone. KEYS: reservations, reservation times, batch spend, daily spend.
 * ARGV: holder, "spent"/"released", the reservation's value as read. Returns 1 when settled here.
 */
const SETTLE = new LuaScript(`
local value = redis.call('HGET', KEYS[1], ARGV[1])
if value ~= ARGV[3] then return 0 end
local cost = tonumber(string.match(value, '|(%d+)$') or '0')
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'reservedMicros', -cost)
redis.call('HINCRBY', KEYS[4], 'reservedMicros', -cost)
if ARGV[2] == 'spent' then
  redis.call('HINCRBY', KEYS[3], 'spentMicros', cost)
  redis.call('HINCRBY', KEYS[4], 'spentMicros', cost)
end
return 1
`);

/** A batch's money, in micro-units of the price table's currency. */
export interface BatchSpend {
  currency: string | undefined;
  /** The price table's cost of the items enqueued (each item counted once). */
  estimateMicros: number;
  estimateTasks: number;
  estimateSeconds: number;
  /** `enqueue --budget` / `veoq budget`; undefined: no cap. */
  budgetMicros: number | undefined;
  /** Creates that happened or may have (ambiguous ones count). */
  spentMicros: number;
  /** Reserved by creates under way. */
  reservedMicros: number;
}

/** The UTC day of a time, as daily budgets count it. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function parseBatchSpend(fields: Record<string, string>): BatchSpend {
  const micros = (name: string) => {
    const value = Number(fields[name] ?? 0);
    return Number.isFinite(value) ? value : 0;
  };
  return {
    currency: fields.currency,
    estimateMicros: micros("estimateMicros"),
    estimateTasks: micros("estimateTasks"),
    estimateSeconds: micros("estimateSeconds"),
    budgetMicros: fields.budgetMicros === undefined ? undefined : micros("budgetMicros"),
    spentMicros: micros("spentMicros"),
    reservedMicros: micros("reservedMicros"),
  };
}

/**
 * Money per batch and per UTC day: estimates stored at enqueue, budgets, and the reservation
 * taken before each create and settled after it. Stateless apart from the connection.
 */
export class SpendLedger {
  readonly keys: RecordKeys;
  private readonly redis: RedisConnection;

  constructor(redis: RedisConnection, prefix: string) {
    this.redis = redis;
    this.keys = recordKeys(prefix);
  }

  /** The check before a create (see GATE): `holder` is the item's submission. */
  async gate(
    batchId: string,
    holder: string,
    costMicros: number,
    dailyBudgetMicros: number | undefined,
    now: number,
  ): Promise<GateDecision> {
    const k = this.keys;
    const day = utcDay(now);
    return (await GATE.run(
      this.redis,
      [
        k.batchControl(batchId),
        k.batchSpend(batchId),
        k.spendReservations,
        k.spendReservationTimes,
        k.dailySpend(day),
        k.accountWebhookOutbox,
        k.accountWebhookSeq,
      ],
      [holder, Math.max(0, Math.round(costMicros)), dailyBudgetMicros ?? "", now, day, batchId],
    )) as GateDecision;
  }

  /** Ends `holder`'s reservation, if it has one; its cost when this call settled it. */
  async settle(
    batchId: string,
    holder: string,
    as: "spent" | "released",
  ): Promise<number | undefined> {
    const value = await this.redis.hget(this.keys.spendReservations, holder);
    if (value === null) return undefined;
    const day = value.slice(0, value.indexOf("|"));
    const settled = await SETTLE.run(
      this.redis,
      [
        this.keys.spendReservations,
        this.keys.spendReservationTimes,
        this.keys.batchSpend(batchId),
        this.keys.dailySpend(day),
      ],
      [holder, as, value],
    );
    return settled === 1 ? Number(value.slice(value.indexOf("|") + 1)) : undefined;
  }

  /** Adds newly enqueued items' estimate to the batch (call once per item added). */
  async addEstimate(batchId: string, estimate: CostEstimate): Promise<void> {
    if (estimate.tasks === 0) return;
    const key = this.keys.batchSpend(batchId);
    await this.redis
      .multi()
      .hset(key, "currency", estimate.currency)
      .hincrby(key, "estimateMicros", estimate.costMicros)
      .hincrby(key, "estimateTasks", estimate.tasks)
      .hincrby(key, "estimateSeconds", estimate.videoSeconds)
      .exec();
  }

  async setBudget(batchId: string, budgetMicros: number): Promise<void> {
    await this.redis.hset(this.keys.batchSpend(batchId), "budgetMicros", String(budgetMicros));
  }

  async read(batchId: string): Promise<BatchSpend> {
    return parseBatchSpend(await this.redis.hgetall(this.keys.batchSpend(batchId)));
  }

  async readMany(batchIds: readonly string[]): Promise<BatchSpend[]> {
    if (batchIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of batchIds) pipeline.hgetall(this.keys.batchSpend(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([, f]) => parseBatchSpend((f as Record<string, string> | null) ?? {}));
  }

  /** Spent and reserved today (UTC) across batches. */
  async today(now: number): Promise<{ day: string; spentMicros: number; reservedMicros: number }> {
    const day = utcDay(now);
    const fields = await this.redis.hgetall(this.keys.dailySpend(day));
    return {
      day,
      spentMicros: Number(fields.spentMicros ?? 0),
      reservedMicros: Number(fields.reservedMicros ?? 0),
    };
  }

  /** Money reserved by creates under way, across batches (one read of the reservations). */
  async reservedTotal(): Promise<number> {
    const values = await this.redis.hvals(this.keys.spendReservations);
    return values.reduce((sum, v) => sum + (Number(v.slice(v.indexOf("|") + 1)) || 0), 0);
  }

  /** Reservation holders taken before `olderThan` (ms), oldest first. */
  async holdersBefore(olderThan: number, limit = 500): Promise<string[]> {
    return this.redis.zrangebyscore(
      this.keys.spendReservationTimes,
      0,
      olderThan,
      "LIMIT",
      0,
      limit,
    );
  }
}
