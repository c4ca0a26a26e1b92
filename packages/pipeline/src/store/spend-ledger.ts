import type { CostEstimate } from "@veoq/pricing";
import { BatchTimeline } from "./batch-timeline.ts";
import type { RedisConnection } from "./connection/redis-connection.ts";
import { type RecordKeys, recordKeys } from "./keys.ts";
import { runStoreScript } from "./store-scripts.ts";

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

  /** Spend over time, for charts (batch-timeline.ts). */
  private readonly timeline: BatchTimeline;

  constructor(redis: RedisConnection, prefix: string) {
    this.redis = redis;
    this.keys = recordKeys(prefix);
    this.timeline = new BatchTimeline(redis, prefix);
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
    return (await runStoreScript(
      this.redis,
      "passSubmitGate",
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
    now = Date.now(),
  ): Promise<number | undefined> {
    const value = await this.redis.hget(this.keys.spendReservations, holder);
    if (value === null) return undefined;
    const day = value.slice(0, value.indexOf("|"));
    const settled = await runStoreScript(
      this.redis,
      "settleSpendReservation",
      [
        this.keys.spendReservations,
        this.keys.spendReservationTimes,
        this.keys.batchSpend(batchId),
        this.keys.dailySpend(day),
      ],
      [holder, as, value],
    );
    if (settled !== 1) return undefined;
    const cost = Number(value.slice(value.indexOf("|") + 1));
    if (as === "spent") await this.timeline.addSpent(batchId, cost, now);
    return cost;
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
