import type { CostEstimate } from "@veoq/pricing";
import { spentField } from "./batch-timeline.ts";
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

/** Why an item was submitted again: its task failed with a transient-looking reason, or `veoq retry`. */
export const RESUBMIT_REASONS = ["task_failed", "retry"] as const;
export type ResubmitReason = (typeof RESUBMIT_REASONS)[number];

/**
 * What a spent create was: the item's first create (`first`), a create of a later submission
 * (`resubmit:<reason>`), or a create sent that got no answer (`unanswered`: the provider may have
 * made and billed a task nobody follows; a "possible duplicate"). Spent money is booked by kind
 * (scripts/settleSpendReservation.lua).
 */
export type CreateKind = "first" | `resubmit:${ResubmitReason}` | "unanswered";

/** The kind of a create of `submission` (0: the manifest's request) that got an answer. */
export function answeredCreateKind(
  submission: number,
  resubmitReason: ResubmitReason | undefined,
): CreateKind {
  if (submission === 0) return "first";
  return `resubmit:${resubmitReason ?? "task_failed"}`;
}

/** Spent money of one kind of create, and how many creates. */
export interface SpentShare {
  creates: number;
  micros: number;
}

/** What spent is made of: first creates + re-submits (by reason) + unanswered creates. */
export interface SpentSplit {
  first: SpentShare;
  resubmits: Record<ResubmitReason, SpentShare>;
  unanswered: SpentShare;
}

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
  /** spentMicros by kind of create (their sum is spentMicros). */
  split: SpentSplit;
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
    split: {
      first: shareOf(micros, "first"),
      resubmits: {
        task_failed: shareOf(micros, "resubmit:task_failed"),
        retry: shareOf(micros, "resubmit:retry"),
      },
      unanswered: shareOf(micros, "unanswered"),
    },
  };
}

function shareOf(micros: (name: string) => number, kind: CreateKind): SpentShare {
  return { creates: micros(`creates:${kind}`), micros: micros(`spentMicros:${kind}`) };
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
      [
        holder,
        Math.max(0, Math.round(costMicros)),
        dailyBudgetMicros ?? "",
        now,
        day,
        batchId,
        k.webhookOutboxWake,
      ],
    )) as GateDecision;
  }

  /**
   * Ends `holder`'s reservation, if it has one: spent as a create of `outcome`'s kind, or
   * released. Its cost when this call settled it.
   */
  async settle(
    batchId: string,
    holder: string,
    outcome: CreateKind | "released",
    now = Date.now(),
  ): Promise<number | undefined> {
    // One round trip when the reservation is of today (as read by the script), else a second
    // with its own day's hash.
    const settled = await this.runSettle(batchId, holder, outcome, utcDay(now), now);
    const cost =
      typeof settled === "string" && settled.includes("|")
        ? await this.runSettle(batchId, holder, outcome, settled, now)
        : settled;
    return typeof cost === "number" && cost >= 0 ? cost : undefined;
  }

  /** settleSpendReservation.lua with the day's hash of `expected` ("<day>" or "<day>|<micros>"). */
  private runSettle(
    batchId: string,
    holder: string,
    outcome: CreateKind | "released",
    expected: string,
    now: number,
  ): Promise<unknown> {
    const bar = expected.indexOf("|");
    const day = bar < 0 ? expected : expected.slice(0, bar);
    return runStoreScript(
      this.redis,
      "settleSpendReservation",
      [
        this.keys.spendReservations,
        this.keys.spendReservationTimes,
        this.keys.batchSpend(batchId),
        this.keys.dailySpend(day),
        this.keys.batchTimeline(batchId),
      ],
      [holder, outcome, expected, spentField(now)],
    );
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
