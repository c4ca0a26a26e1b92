import type { CancelledRetryPlan, RetryPrice } from "@veoq/pipeline";
import { countOf, type RetryPlanJson, retryCostText, retryPriceJson } from "@veoq/report";

/** Items left alone listed one per line; the rest are counted (the plan lists up to 50). */
const MAX_LISTED_SKIPPED = 20;

/** Items a plan re-queues (paid and free). */
export function queuedBy(plan: RetryPlanJson): number {
  return plan.resubmit + plan.repoll + plan.redownload;
}

/**
 * The summary `veoq retry` prints before it does anything: what is re-submitted (paid, with the
 * estimated cost when priced), polled or downloaded again (free), and which failures are left
 * alone because they will fail again. The same numbers as the dashboard's retry page.
 */
export function formatRetryPlan(plan: RetryPlanJson): string[] {
  const byModel = Object.entries(plan.resubmits_by_model)
    .map(([model, n]) => `${model} × ${n}`)
    .join(", ");
  const { cost, budget } = retryCostText(plan.batch_id, plan);
  const lines = [
    `batch ${plan.batch_id}: ${countOf(plan.failed, "failed item")}; retry will`,
    `  re-submit        ${String(plan.resubmit).padStart(5)}  paid: a new provider task each${plan.resubmit > 0 ? ` (${byModel}; ${cost})` : ""}`,
    `  poll again       ${String(plan.repoll).padStart(5)}  free: timed-out tasks`,
    `  download again   ${String(plan.redownload).padStart(5)}  free: the task is paid for`,
    `  leave alone      ${String(plan.skipped_total).padStart(5)}`,
  ];
  if (plan.resubmit > 0 && budget !== undefined) lines.splice(2, 0, `    ${budget}`);
  for (const item of plan.skipped.slice(0, MAX_LISTED_SKIPPED)) {
    const why = item.skip === "permanent" ? "will fail again" : "no failure record";
    const detail = [item.error_kind, item.reason].filter((part) => part !== null).join(": ");
    lines.push(`    ${item.custom_id}  ${why}${detail ? `  ${detail}` : ""}`);
  }
  const unlisted = plan.skipped_total - Math.min(plan.skipped.length, MAX_LISTED_SKIPPED);
  if (unlisted > 0) lines.push(`    ... and ${unlisted} more left alone`);
  if (plan.permanent > 0 && !plan.include_permanent) {
    lines.push(
      `  ${countOf(plan.permanent, "failure")} that will fail again (invalid request or input, a content-policy reason): --include-permanent re-submits ${plan.permanent === 1 ? "it" : "them"} (paid)`,
    );
  }
  return lines;
}

/**
 * The summary `veoq retry --cancelled` prints before it does anything: the items never created
 * (each pays for its create when it runs, with the estimated cost when priced) and the dropped
 * tasks followed again (free).
 */
export function formatCancelledRetryPlan(
  plan: CancelledRetryPlan,
  price: RetryPrice | undefined,
): string[] {
  const byModel = Object.entries(plan.submitsByModel)
    .map(([model, n]) => `${model} × ${n}`)
    .join(", ");
  const { cost, budget } = retryCostText(plan.batchId, retryPriceJson(price));
  return [
    `batch ${plan.batchId}: ${countOf(plan.cancelled, "cancelled item")}; retry --cancelled will`,
    `  submit           ${String(plan.submit).padStart(5)}  paid when they run: never created${plan.submit > 0 ? ` (${byModel}; ${cost})` : ""}`,
    ...(plan.submit > 0 && budget !== undefined ? [`    ${budget}`] : []),
    `  follow again     ${String(plan.refollow).padStart(5)}  free: the dropped task is paid for`,
  ];
}
