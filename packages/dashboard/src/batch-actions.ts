import type { Logger } from "@veoq/logging";
import { TimeoutError, withTimeout } from "@veoq/metrics";
import {
  BatchControl,
  type BatchStore,
  type BudgetChange,
  CancelledRetryChangedError,
  type CancelledRetryPlan,
  type LifecycleContext,
  planCancelledRetry,
  priceSubmissions,
  resumeSubmissions,
  retryCancelledItems,
  SpendLedger,
  setBatchBudget,
  type VeoqQueues,
} from "@veoq/pipeline";
import { type PriceTable, parseAmount } from "@veoq/pricing";
import type { Endpoint, EndpointOutcome } from "./dashboard-endpoints.ts";
import { type DashboardRequest, fieldOf } from "./dashboard-route.ts";

/** What the cancel's confirmation says will happen. */
export interface CancelPreview {
  batchId: string;
  /** Items with no task yet: they end as cancelled, nothing paid. */
  queued: number;
  /** Items whose task exists (paid): they finish. */
  inFlight: number;
  /** Already cancelled (the post changes nothing). */
  alreadyCancelled: boolean;
}

export interface BudgetResult extends BudgetChange {
  batchId: string;
  budgetMicros: number;
}

/** The operator's actions beyond pause and resume, each as the CLI does it (same operations). */
export interface BatchActionEndpoints {
  /** What `cancel` would do; touches nothing. */
  cancelPreview: Endpoint<CancelPreview>;
  /** `veoq budget BATCH AMOUNT` (`budget`: an amount such as 250 or 12.50). */
  budget: Endpoint<BudgetResult>;
  /** `veoq resume` without a batch: lifts a credentials stop (and a downloads stop). */
  resumeSubmissions: Endpoint<{ resumed: boolean }>;
  /** What `veoq retry --cancelled` would do and, with a price table, what its creates cost; touches nothing. */
  cancelledRetryPlan: Endpoint<{ plan: CancelledRetryPlan; estimatedCostUsd: number | undefined }>;
  /**
   * `veoq retry --cancelled`, with `max_submits` the paid creates agreed to (absent: none): a
   * plan that now pays for more re-queues nothing (a conflict).
   */
  retryCancelled: Endpoint<{ retried: number; skipped: { customId: string; reason: string }[] }>;
}

export interface BatchActionOptions {
  store: BatchStore;
  queues: VeoqQueues;
  readOnly: boolean;
  redisTimeoutMs: number;
  writeTimeoutMs: number;
  now: () => number;
  logger?: Logger | undefined;
  /** Prices the paid creates of a re-queue; undefined: not priced. */
  prices?: PriceTable | undefined;
}

const data = <T>(value: T): EndpointOutcome<T> => ({ kind: "data", data: value });

export function createBatchActionEndpoints(options: BatchActionOptions): BatchActionEndpoints {
  const { store, queues } = options;
  const life: LifecycleContext = {
    store,
    queues,
    control: new BatchControl(store.redis, store.prefix),
    spend: new SpendLedger(store.redis, store.prefix),
    now: options.now,
  };
  const batchId = (request: DashboardRequest) => String(request.params.id);
  /** The batch's id when it exists, else the refusal. */
  const existing = async (request: DashboardRequest) => {
    const id = batchId(request);
    const batch = await withTimeout(store.getBatch(id), options.redisTimeoutMs, "redis");
    return batch === undefined
      ? { refusal: { kind: "not-found", what: "batch", id } as const }
      : { id, batch };
  };
  /** A write bounded like pause and resume: a 503 after the bound (see writeTimeoutMs). */
  const bounded = <T>(what: string, work: Promise<T>) =>
    withTimeout(work, options.writeTimeoutMs).catch((error: unknown) => {
      if (error instanceof TimeoutError) {
        throw new Error(
          `redis: no answer within ${options.writeTimeoutMs} ms; the ${what} may not have been applied`,
        );
      }
      throw error;
    });
  return {
    cancelPreview: async (request) => {
      const found = await existing(request);
      if (found.refusal) return found.refusal;
      const { counts } = found.batch;
      const control = await life.control.read(found.id);
      return data({
        batchId: found.id,
        queued: counts.queued,
        inFlight: counts.processing + counts.downloading,
        alreadyCancelled: control.state === "cancelled",
      });
    },
    budget: async (request) => {
      if (options.readOnly) return { kind: "read-only" };
      const found = await existing(request);
      if (found.refusal) return found.refusal;
      const raw = fieldOf(request, "budget");
      const micros = parseAmount(String(raw ?? ""));
      if (micros === undefined) {
        return {
          kind: "invalid",
          message: `budget ${JSON.stringify(raw ?? "")} must be an amount such as 250 or 12.50`,
        };
      }
      const change = await bounded("budget change", setBatchBudget(life, found.id, micros));
      options.logger?.info(
        { batchId: found.id, budgetMicros: micros, ...change },
        "dashboard: batch budget set",
      );
      return data({ batchId: found.id, budgetMicros: micros, ...change });
    },
    resumeSubmissions: async () => {
      if (options.readOnly) return { kind: "read-only" };
      const resumed = await bounded("resume", resumeSubmissions(store, queues));
      options.logger?.info({ resumed }, "dashboard: submissions resumed");
      return data({ resumed });
    },
    cancelledRetryPlan: async (request) => {
      if (options.readOnly) return { kind: "read-only" };
      const found = await existing(request);
      if (found.refusal) return found.refusal;
      const plan = await withTimeout(
        planCancelledRetry(life, found.id),
        options.redisTimeoutMs,
        "redis",
      );
      const paid = plan.retries.filter((r) => r.stage === "submit").map((r) => r.customId);
      const estimatedCostUsd = options.prices
        ? await withTimeout(
            priceSubmissions(found.id, paid, queues, options.prices),
            options.redisTimeoutMs,
            "redis",
          )
        : undefined;
      return data({ plan, estimatedCostUsd });
    },
    retryCancelled: async (request) => {
      if (options.readOnly) return { kind: "read-only" };
      const found = await existing(request);
      if (found.refusal) return found.refusal;
      const raw = fieldOf(request, "max_submits");
      const agreed = raw === undefined || raw === "" ? 0 : Number(raw);
      try {
        const summary = await bounded(
          "re-queue",
          retryCancelledItems(life, found.id, {
            maxSubmits: Number.isSafeInteger(agreed) && agreed >= 0 ? agreed : 0,
          }),
        );
        options.logger?.info(
          { batchId: found.id, retried: summary.retried, skipped: summary.skipped.length },
          "dashboard: cancelled items re-queued",
        );
        return data(summary);
      } catch (error) {
        if (!(error instanceof CancelledRetryChangedError)) throw error;
        return { kind: "conflict", message: `${error.message}; nothing was re-queued` };
      }
    },
  };
}
