import type { ItemDetail } from "./dashboard-endpoints.ts";
import { escapeHtml as e } from "./html-text.ts";
import { itemTime } from "./render-batch-page.ts";
import { layout, type PageContext } from "./render-pages.ts";
import { renderSavedVideo } from "./render-saved-video.ts";

/**
 * One item: its request, attempts, tasks, times, error, files (served by the dashboard; each in
 * a `figure.file` that an inline player can join) and its jobs in Bull Board.
 */
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
    row.files.length === 0
      ? `<p class="muted">No files${row.state === "completed" ? "" : " yet"}.</p>`
      : row.files.map((file) => renderSavedVideo(file)).join("");
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
<h3>Files</h3>${files}<h3>Jobs (Bull Board)</h3>${jobs}</section>`;
  return layout(`${row.customId} · ${batchId}`, body, page, {
    jsonHref: `/api/batches/${encodeURIComponent(batchId)}/items/${encodeURIComponent(row.customId)}`,
  });
}
