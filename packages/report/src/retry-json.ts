import {
  type RetryPlan,
  type RetryPrice,
  type RetrySummary,
  retryReachesBudget,
} from "@veoq/pipeline";
import { formatMoneyJson, moneyJson, moneySchema } from "@veoq/pricing";
import { z } from "zod";

/**
 * Where a priced retry takes a batch that has a budget: `reaches_budget` when what it spent and
 * reserved (`used`) plus the retry's `estimated_cost` passes `budget` (the batch then pauses
 * part-way, nothing fails: raise the budget first).
 */
export const retryBudgetJson = z.object({
  budget: moneySchema,
  used: moneySchema,
  after_retry: moneySchema,
  reaches_budget: z.boolean(),
});

/** The cost JSON of a priced retry: `estimated_cost` and `budget_check` (null when unknown). */
export function retryPriceJson(price: RetryPrice | undefined) {
  if (price === undefined) return { estimated_cost: null, budget_check: null };
  const money = (micros: number) => moneyJson(micros, price.currency);
  return {
    estimated_cost: money(price.costMicros),
    budget_check:
      price.budget === undefined
        ? null
        : {
            budget: money(price.budget.budgetMicros),
            used: money(price.budget.usedMicros),
            after_retry: money(price.budget.usedMicros + price.costMicros),
            reaches_budget: retryReachesBudget(price) === true,
          },
  };
}

/**
 * What a retry of a batch would do, before it does it: `veoq retry` (its summary and `--json`)
 * and the dashboard's GET /api/batches/:id/retry-plan print this.
 */
export const retryPlanJson = z.object({
  batch_id: z.string(),
  /** Failed items of the batch. */
  failed: z.number().int(),
  /** Re-submitted: a new provider task each (paid). */
  resubmit: z.number().int(),
  /** Polled again with a new deadline (timed out: free). */
  repoll: z.number().int(),
  /** Downloaded again (the task is paid for: free). */
  redownload: z.number().int(),
  resubmits_by_model: z.record(z.string(), z.number().int()),
  /** The re-submissions' estimated cost; null when they could not be priced. */
  estimated_cost: moneySchema.nullable(),
  /** Whether the retry reaches the batch's budget; null when it has none or is not priced. */
  budget_check: retryBudgetJson.nullable(),
  /** Failures that will fail again (invalid request or input, a content-policy reason). */
  permanent: z.number().int(),
  include_permanent: z.boolean(),
  /** Items left alone in all (`skipped` lists up to 50). */
  skipped_total: z.number().int(),
  skipped: z.array(
    z.object({
      custom_id: z.string(),
      skip: z.enum(["permanent", "no_record"]),
      error_kind: z.string().nullable(),
      reason: z.string().nullable(),
    }),
  ),
});
export type RetryPlanJson = z.infer<typeof retryPlanJson>;

export function toRetryPlanJson(plan: RetryPlan, price?: RetryPrice): RetryPlanJson {
  return {
    batch_id: plan.batchId,
    failed: plan.failed,
    resubmit: plan.counts.resubmit,
    repoll: plan.counts.repoll,
    redownload: plan.counts.redownload,
    resubmits_by_model: { ...plan.resubmitsByModel },
    ...retryPriceJson(price),
    permanent: plan.permanent,
    include_permanent: plan.includePermanent,
    skipped_total: plan.skippedTotal,
    skipped: plan.skipped.map((item) => ({
      custom_id: item.customId,
      skip: item.skip,
      error_kind: item.errorKind ?? null,
      reason: item.reason ?? null,
    })),
  };
}

/**
 * What became of a retry: `veoq retry --json` and the dashboard's POST /api/batches/:id/retry.
 * `outcome` says whether anything was re-queued: `retried`; `nothing_to_retry` (every failure
 * was left alone); `not_confirmed` (declined at the prompt, or paid re-submissions without a
 * terminal to confirm on and no `--yes`); `free_only` (no terminal and no `--yes`: only the free
 * re-polls and re-downloads were re-queued, `left_unpaid` re-submissions were not).
 */
export const retryJson = z.object({
  batch_id: z.string(),
  outcome: z.enum(["retried", "nothing_to_retry", "not_confirmed", "free_only"]),
  /** Items re-queued. */
  retried: z.number().int(),
  /** Planned items that could not be re-queued, with why (their jobs were removed meanwhile). */
  skipped: z.array(z.object({ custom_id: z.string(), reason: z.string() })),
  /** Paid re-submissions left failed for want of agreement (`free_only`); 0 otherwise. */
  left_unpaid: z.number().int(),
  plan: retryPlanJson,
});
export type RetryJson = z.infer<typeof retryJson>;

/** A retry that ran (see retryFailedItems). */
export function toRetryJson(
  summary: RetrySummary,
  price?: RetryPrice,
  outcome?: "free_only",
): RetryJson {
  const planned = summary.plan.retries.length;
  return {
    batch_id: summary.plan.batchId,
    outcome: outcome ?? (planned === 0 ? "nothing_to_retry" : "retried"),
    retried: summary.retried,
    skipped: summary.skipped.map((s) => ({ custom_id: s.customId, reason: s.reason })),
    left_unpaid: summary.leftUnpaid,
    plan: toRetryPlanJson(summary.plan, price),
  };
}

/** A retry that did not run (nothing to retry, or not confirmed): nothing was re-queued. */
export function toRetryNotRunJson(
  plan: RetryPlan,
  outcome: "nothing_to_retry" | "not_confirmed",
  price?: RetryPrice,
): RetryJson {
  return {
    batch_id: plan.batchId,
    outcome,
    retried: 0,
    skipped: [],
    left_unpaid: outcome === "not_confirmed" ? plan.counts.resubmit : 0,
    plan: toRetryPlanJson(plan, price),
  };
}

/**
 * A priced retry in words, as `veoq retry` and the dashboard's retry page say it: the cost
 * ("estimated 9.60 USD" or "cost not estimated") and, when the batch has a budget, whether the
 * retry reaches it.
 */
export function retryCostText(
  batchId: string,
  plan: Pick<RetryPlanJson, "estimated_cost" | "budget_check">,
): { cost: string; budget: string | undefined } {
  const cost =
    plan.estimated_cost === null
      ? "cost not estimated"
      : `estimated ${formatMoneyJson(plan.estimated_cost)}`;
  const check = plan.budget_check;
  if (check === null) return { cost, budget: undefined };
  const sum = `spent and reserved ${formatMoneyJson(check.used)} + this retry = ${formatMoneyJson(check.after_retry)}`;
  return {
    cost,
    budget: check.reaches_budget
      ? `REACHES the budget of ${formatMoneyJson(check.budget)} (${sum}): the batch pauses by its budget part-way; raise it first with \`veoq budget ${batchId} <amount>\``
      : `stays within the budget of ${formatMoneyJson(check.budget)} (${sum})`,
  };
}
