import type { CancelledRetryPlan } from "@veoq/pipeline";
import { formatMoney } from "@veoq/pricing";
import type { CancelPreview } from "./batch-actions.ts";
import { escapeHtml as e } from "./html-text.ts";
import { layout, type PageContext } from "./render-pages.ts";

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The cancel's second step: what cancelling does, and the button that does it. */
export function renderCancelPage(preview: CancelPreview, page: PageContext): string {
  const id = encodeURIComponent(preview.batchId);
  const body = preview.alreadyCancelled
    ? `<p>The batch is already cancelled. <a href="/batches/${id}">Back to the batch</a></p>`
    : `<p>Cancelling ends the batch's <b data-cancel-queued>${plural(preview.queued, "queued item")}</b> without creating their tasks (nothing more is paid for them).
${preview.inFlight === 0 ? "No item has a task yet." : `<b data-cancel-in-flight>${plural(preview.inFlight, "item")}</b> whose task exists already (paid) finish and are saved.`}</p>
<p>Pausing instead keeps the queued items waiting; cancelled items can be re-queued later (their creates are paid then).</p>
<form method="post" action="/batches/${id}/cancel" class="confirm"><input type="hidden" name="confirm" value="1">
<button type="submit" class="danger" data-confirm-cancel>Cancel the batch</button> <a href="/batches/${id}">Keep it running</a></form>`;
  return layout(
    `cancel ${preview.batchId}`,
    `<section class="box cancel-confirm" data-batch="${e(preview.batchId)}"><h2>Cancel batch <a href="/batches/${id}">${e(preview.batchId)}</a>?</h2>${body}</section>`,
    page,
  );
}

/** The re-queue of cancelled items, asked before it pays: paid creates and free re-follows. */
export function renderCancelledRetryPage(
  view: { plan: CancelledRetryPlan; estimatedCostUsd: number | undefined },
  page: PageContext,
): string {
  const { plan } = view;
  const cost =
    view.estimatedCostUsd === undefined
      ? plan.submit > 0
        ? `<span class="muted">cost not estimated here</span>`
        : ""
      : `estimated <b data-requeue-cost>${e(formatMoney(Math.round(view.estimatedCostUsd * 1_000_000), "USD"))}</b>`;
  const id = encodeURIComponent(plan.batchId);
  const byModel = Object.entries(plan.submitsByModel)
    .map(([model, n]) => `${e(model)} × ${n}`)
    .join(", ");
  const confirm =
    plan.cancelled === 0
      ? `<p><b>No cancelled items.</b> <a href="/batches/${id}">Back to the batch</a></p>`
      : `<form method="post" action="/batches/${id}/retry-cancelled" class="confirm">
<input type="hidden" name="max_submits" value="${plan.submit}">
<button type="submit">Re-queue ${plural(plan.cancelled, "item")}${plan.submit > 0 ? ` (${plan.submit} paid)` : ""}</button> <a href="/batches/${id}">Back</a></form>`;
  return layout(
    `re-queue cancelled ${plan.batchId}`,
    `<section class="box cancelled-retry" data-batch="${e(plan.batchId)}"><h2>Re-queue the cancelled items of <a href="/batches/${id}">${e(plan.batchId)}</a>?</h2>
<p>This lifts the cancel. ${plural(plan.cancelled, "cancelled item")}:</p>
<table class="plan"><tr data-plan="submit"><td>create a task (paid, within the batch's budget)</td><td><b>${plan.submit}</b></td><td>${byModel} ${cost}</td></tr>
<tr data-plan="refollow"><td>follow their paid task again (free)</td><td><b>${plan.refollow}</b></td><td></td></tr></table>
${confirm}</section>`,
    page,
  );
}
