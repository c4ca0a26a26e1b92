import { formatMoney } from "@veoq/pricing";
import type { ItemDetail } from "./dashboard-endpoints.ts";
import { escapeHtml as e } from "./html-text.ts";
import { itemTime } from "./render-batch-page.ts";
import { layout, type PageContext } from "./render-pages.ts";
import { renderSavedVideo } from "./render-saved-video.ts";

/**
 * One item: its request, attempts, tasks, times, error, files (served by the dashboard; each in
 * a `figure.file` that an inline player can join) and its jobs in Bull Board.
 */
/** A time to the millisecond (UTC): steps of one item are often within a second. */
function itemTimeMs(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 23);
}

export function renderItemPage(detail: ItemDetail, page: PageContext): string {
  const { row, batchId } = detail;
  const batchHref = `/batches/${encodeURIComponent(batchId)}`;
  const facts: [string, string][] = [
    ["batch", `<a href="${e(batchHref)}">${e(batchId)}</a>`],
    ["state", `<span data-item-state>${e(row.state)}</span>`],
    ["model", e(row.model ?? "")],
    ["duration", row.durationSeconds === undefined ? "" : `${e(row.durationSeconds)} s`],
    ["resolution", e(row.resolution ?? "default")],
    [
      "attempts",
      row.submitAttempts === undefined
        ? ""
        : `${e(row.submitAttempts)} create requests · ${e(row.polls ?? 0)} polls`,
    ],
    ["tasks", row.taskIds.map((id) => `<span class="kind">${e(id)}</span>`).join("<br>")],
    ["enqueued (UTC)", e(itemTime(row.enqueuedAt))],
    ["submitted (UTC)", e(itemTime(row.submittedAt))],
    ["finished (UTC)", e(itemTime(row.finishedAt))],
  ];
  if (row.errorKind || row.errorMessage) {
    facts.push(
      [
        "error",
        `<span class="kind">${e(row.errorKind ?? "")}</span> <span class="reason">${e(row.errorMessage ?? "")}</span>`,
      ],
      ["failed at", e(row.failedStage ?? "")],
    );
  }
  const files =
    row.files.length > 0
      ? row.files.map((file) => renderSavedVideo(file)).join("")
      : row.state === "failed" || row.state === "cancelled"
        ? `<p class="failure" data-item-failure>No files: the item ${e(row.state)}${row.failedStage ? ` at its ${e(row.failedStage)} stage` : ""}${row.errorKind ? ` (<span class="kind">${e(row.errorKind)}</span>)` : ""}${row.errorMessage ? `: <span class="reason">${e(row.errorMessage)}</span>` : "."}</p>`
        : `<p class="muted">No files${row.state === "completed" ? "" : " yet"}.</p>`;
  const { extras } = detail;
  const cost = extras.cost
    ? (() => {
        const { currency, perTaskMicros, tasks, createRequests } = extras.cost;
        const money = (micros: number) => e(formatMoney(micros, currency));
        const unanswered = Math.max(0, createRequests - tasks);
        return `<b data-item-cost>${money(perTaskMicros * tasks)}</b> for ${tasks} task${tasks === 1 ? "" : "s"} at ${money(perTaskMicros)} each${unanswered > 0 ? ` · ${createRequests} create requests, ${unanswered} without a task (a possible duplicate if it got no answer: up to ${money(perTaskMicros * unanswered)} more)` : ""}`;
      })()
    : `<span class="muted">not priced here</span>`;
  facts.push(["cost", cost]);
  const metadata =
    extras.metadata === undefined
      ? `<p class="muted">No metadata on the manifest line.</p>`
      : `<pre class="metadata" data-metadata>${e(JSON.stringify(extras.metadata, null, 2))}</pre>`;
  const inputs =
    extras.inputs.length === 0
      ? `<p class="muted">No input images.</p>`
      : `<div class="inputs">${extras.inputs
          .map(
            (input) =>
              `<figure class="input" data-input="${e(input.field)}">${input.url ? `<img src="${e(input.url)}" alt="input image ${e(input.field)}">` : ""}<figcaption><span class="kind">${e(input.field)}</span> <span class="muted">${e(input.value)}</span></figcaption></figure>`,
          )
          .join("")}</div>`;
  const timeline =
    extras.timeline.length === 0
      ? `<p class="muted">No history kept.</p>`
      : `<table class="timeline"><tr><th>time (UTC)</th><th>step</th><th></th></tr>${extras.timeline
          .map(
            (event) =>
              `<tr${event.failed ? ' class="failed-step"' : ""}><td>${e(itemTimeMs(event.at))}</td><td>${e(event.what)}</td><td class="reason">${e(event.detail)}</td></tr>`,
          )
          .join("")}</table>`;
  const jobs =
    detail.jobs.length === 0
      ? `<p class="muted">No jobs left in the queues.</p>`
      : `<table class="jobs"><tr><th>queue</th><th>job</th><th>state</th></tr>${detail.jobs
          .map(
            (job) =>
              `<tr><td>${e(job.queue)}</td><td><a class="job-link" href="${e(job.url)}">${e(job.jobId)}</a></td><td>${e(job.state)}</td></tr>`,
          )
          .join("")}</table>`;
  const body = `<section class="box item" data-custom-id="${e(row.customId)}"><h2>${e(row.customId)}</h2>
<table class="facts">${facts.map(([name, value]) => `<tr><th>${name}</th><td>${value}</td></tr>`).join("")}</table>
<h3>Prompt</h3><p class="prompt">${e(row.prompt ?? "(not kept: the item's submit job was removed)")}</p>
<h3>Files</h3>${files}<h3>Input images</h3>${inputs}<h3>Metadata</h3>${metadata}
<h3>Timeline</h3>${timeline}<h3>Jobs (Bull Board)</h3>${jobs}</section>`;
  return layout(`${row.customId} · ${batchId}`, body, page, {
    jsonHref: `/api/batches/${encodeURIComponent(batchId)}/items/${encodeURIComponent(row.customId)}`,
  });
}
