import { reasonLooksPermanent } from "../policy/failure-policy.ts";
import type { BatchStore } from "../store/batch-store.ts";
import type { ItemResult } from "../store/item-result.ts";

/**
 * What `veoq retry` does with one failed item, the cheapest way that can work:
 * - `resubmit`: a create request is sent again (a new provider task: paid). Items that failed at
 *   submit (no task yet) and tasks the provider failed;
 * - `repoll`: the same task is polled again with a new deadline (timed out: free);
 * - `redownload`: the paid task's files are fetched again (free).
 */
export type RetryAction = "resubmit" | "repoll" | "redownload";

/** Why an item is left alone. */
export type RetrySkip =
  /** Its failure will repeat (invalid request or input, a content-policy reason). */
  | "permanent"
  /** It has no failure record (nothing says what to re-run). */
  | "no_record";

export interface PlannedRetry {
  customId: string;
  action: RetryAction;
  /** The model a re-submission is billed for. */
  model: string;
}

export interface SkippedRetry {
  customId: string;
  skip: RetrySkip;
  errorKind: string | undefined;
  reason: string | undefined;
}

export interface RetryPlan {
  batchId: string;
  /** Failed items of the batch. */
  failed: number;
  /** Items re-queued, by what that costs (`resubmit` is paid, the others are free). */
  counts: Record<RetryAction, number>;
  /** Re-submissions per model: what a price table turns into a cost. */
  resubmitsByModel: Record<string, number>;
  /** Failures that will fail again; re-queued only when `includePermanent`. */
  permanent: number;
  includePermanent: boolean;
  /** Every item that will be re-queued. */
  retries: PlannedRetry[];
  /** Items left alone, up to `listLimit`. */
  skipped: SkippedRetry[];
  /** Items left alone in all (`skipped` may list fewer). */
  skippedTotal: number;
}

export interface PlanRetryOptions {
  /** Re-queue failures that will fail again too. Default false. */
  includePermanent?: boolean;
  /** Skipped items listed in the plan. Default 50. */
  listLimit?: number;
}

/** Whether an item's failure will repeat if its request is sent again unchanged. */
export function failureWillRepeat(result: ItemResult): boolean {
  if (result.errorKind === "invalid_request" || result.errorKind === "invalid_input") return true;
  return result.errorKind === "task_failed" && reasonLooksPermanent(result.errorMessage);
}

/** What a retry does with a failed item (its record's stage and kind), see RetryAction. */
export function retryActionOf(result: ItemResult): RetryAction {
  if (result.failedStage === "download") return "redownload";
  if (result.failedStage === "poll" && result.errorKind === "timeout") return "repoll";
  return "resubmit";
}

/**
 * The plan of a retry from the failed items' records, without touching anything: pure, so the
 * CLI's and the dashboard's summaries and the retry itself agree. `results` are the failed
 * items' records (undefined when an item has none).
 */
export function planRetryOf(
  batchId: string,
  failed: readonly { customId: string; result: ItemResult | undefined }[],
  options: PlanRetryOptions = {},
): RetryPlan {
  const includePermanent = options.includePermanent ?? false;
  const listLimit = options.listLimit ?? 50;
  const plan: RetryPlan = {
    batchId,
    failed: failed.length,
    counts: { resubmit: 0, repoll: 0, redownload: 0 },
    resubmitsByModel: {},
    permanent: 0,
    includePermanent,
    retries: [],
    skipped: [],
    skippedTotal: 0,
  };
  const skip = (customId: string, why: RetrySkip, result: ItemResult | undefined) => {
    plan.skippedTotal++;
    if (plan.skipped.length < listLimit) {
      plan.skipped.push({
        customId,
        skip: why,
        errorKind: result?.errorKind,
        reason: result?.errorMessage,
      });
    }
  };
  for (const { customId, result } of failed) {
    if (!result) {
      skip(customId, "no_record", undefined);
      continue;
    }
    const permanent = failureWillRepeat(result);
    if (permanent) plan.permanent++;
    if (permanent && !includePermanent) {
      skip(customId, "permanent", result);
      continue;
    }
    const action = retryActionOf(result);
    plan.counts[action]++;
    if (action === "resubmit") {
      plan.resubmitsByModel[result.model] = (plan.resubmitsByModel[result.model] ?? 0) + 1;
    }
    plan.retries.push({ customId, action, model: result.model });
  }
  return plan;
}

/** Failed items' records read per round trip. */
const RESULTS_PER_READ = 500;

/**
 * The plan of `veoq retry BATCH` (a dry run): scans the batch's failed items (from their state
 * set, in pages, never the whole batch at once) and reads their records.
 */
export async function planRetry(
  store: BatchStore,
  batchId: string,
  options: PlanRetryOptions = {},
): Promise<RetryPlan> {
  const failed: { customId: string; result: ItemResult | undefined }[] = [];
  for (let offset = 0; ; offset += RESULTS_PER_READ) {
    const page = await store.listItems(batchId, {
      state: "failed",
      offset,
      limit: RESULTS_PER_READ,
    });
    const ids = page.items.map((item) => item.customId);
    const results = await store.itemResults(batchId, ids);
    for (const [i, customId] of ids.entries()) failed.push({ customId, result: results[i] });
    if (ids.length < RESULTS_PER_READ) break;
  }
  return planRetryOf(batchId, failed, options);
}
