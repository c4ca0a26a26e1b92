import { retryReachesBudget } from "@veoq/pipeline";
import { retryCostText, retryPriceJson } from "@veoq/report";
import type { RetryPlanView } from "./dashboard-endpoints.ts";
import { escapeHtml as e } from "./html-text.ts";
import { layout, type PageContext } from "./render-pages.ts";

/** How Bull Board's own Retry differs from veoq's (shown next to veoq's retry). */
export const BULL_BOARD_RETRY_NOTE =
  "Bull Board's own Retry button re-runs one job's stage as it is, without veoq's bookkeeping: the item's state, the batch's counts and its finish time are not updated first, a task the provider failed is polled again instead of re-submitted, a timed-out poll keeps its old deadline, and a download keeps its spent URL refreshes. Retry failed items here or with `veoq retry`.";

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The summary a retry shows before it pays (the same numbers `veoq retry` prints): what is
 * re-submitted (paid), re-polled and re-downloaded (free), which failures are left alone because
 * they will fail again, and a confirm form that posts the paid count agreed to.
 */
export function renderRetryPage(view: RetryPlanView, page: PageContext): string {
  const { plan } = view;
  const id = encodeURIComponent(plan.batchId);
  const queued = plan.counts.resubmit + plan.counts.repoll + plan.counts.redownload;
  const byModel = Object.entries(plan.resubmitsByModel)
    .map(([model, n]) => `${e(model)} × ${n}`)
    .join(", ");
  const priced = retryCostText(plan.batchId, retryPriceJson(view.price));
  const cost =
    view.price === undefined
      ? `<span class="muted">cost not estimated here (<code>veoq estimate</code> prices a manifest)</span>`
      : `<b data-retry-cost>${e(priced.cost)}</b>` +
        (priced.budget === undefined
          ? ""
          : `<br><span data-retry-budget class="${retryReachesBudget(view.price) ? "stuck" : "muted"}">${e(priced.budget)}</span>`);
  const skippedRows = plan.skipped
    .map(
      (item) =>
        `<tr data-custom-id="${e(item.customId)}"><td>${e(item.customId)}</td><td>${item.skip === "permanent" ? "will fail again" : "no failure record"}</td><td class="kind">${e(item.errorKind ?? "")}</td><td class="reason">${e(item.reason ?? "")}</td></tr>`,
    )
    .join("");
  const more =
    plan.skippedTotal > plan.skipped.length
      ? `<p class="muted">… and ${plan.skippedTotal - plan.skipped.length} more.</p>`
      : "";
  const permanentChoice =
    plan.permanent === 0
      ? ""
      : plan.includePermanent
        ? `<p>Failures that will fail again are <b>included</b>. <a href="/batches/${id}/retry">Leave them out</a></p>`
        : `<p>${plural(plan.permanent, "failure")} that will fail again (invalid request or input, a content-policy reason) ${plan.permanent === 1 ? "is" : "are"} left alone. <a data-include-permanent href="/batches/${id}/retry?include_permanent=1">Include ${plan.permanent === 1 ? "it" : "them"} (paid)</a></p>`;
  const confirm =
    queued === 0
      ? `<p><b>Nothing to retry.</b></p>`
      : `<form method="post" action="/batches/${id}/retry" class="confirm">
<input type="hidden" name="max_resubmits" value="${plan.counts.resubmit}">
${plan.includePermanent ? '<input type="hidden" name="include_permanent" value="1">' : ""}
<button type="submit">Re-queue ${plural(queued, "item")}${plan.counts.resubmit > 0 ? ` (${plan.counts.resubmit} paid)` : ""}</button> <a href="/batches/${id}">Cancel</a></form>`;
  const body = `<section class="box retry-plan" data-batch="${e(plan.batchId)}">
<h2>Retry the failed items of <a href="/batches/${id}">${e(plan.batchId)}</a>?</h2>
<p>${plural(plan.failed, "failed item")}. Retry will:</p>
<table class="plan">
<tr data-plan="resubmit"><td>re-submit (paid: a new provider task each)</td><td><b>${plan.counts.resubmit}</b></td><td>${byModel} ${plan.counts.resubmit > 0 ? cost : ""}</td></tr>
<tr data-plan="repoll"><td>poll again (free: timed-out tasks)</td><td><b>${plan.counts.repoll}</b></td><td></td></tr>
<tr data-plan="redownload"><td>download again (free: the task is paid for)</td><td><b>${plan.counts.redownload}</b></td><td></td></tr>
<tr data-plan="skipped"><td>leave alone</td><td><b>${plan.skippedTotal}</b></td><td></td></tr>
</table>
${permanentChoice}
${skippedRows ? `<table class="skipped"><tr><th>custom_id</th><th>why</th><th>error kind</th><th>reason</th></tr>${skippedRows}</table>${more}` : ""}
${confirm}
<p class="muted bull-board-note">${e(BULL_BOARD_RETRY_NOTE)}</p></section>`;
  return layout(`retry ${plan.batchId}`, body, page, {
    jsonHref: `/api/batches/${id}/retry-plan${plan.includePermanent ? "?include_permanent=1" : ""}`,
  });
}
