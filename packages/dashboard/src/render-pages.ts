import { ITEM_STATES, QUEUE_ROLES } from "@veoq/pipeline";
import { formatMoney } from "@veoq/pricing";
import { etaText } from "./batch-eta-text.ts";
import { escapeHtml as e, formatDuration, formatThroughput } from "./html-text.ts";
import type { BatchView, DashboardSnapshot, FailedItem, StuckItemView } from "./read-batches.ts";
import { itemUrl } from "./read-items.ts";
import { enqueueIncompleteLine, POSSIBLE_DUPLICATES_MEANING } from "./render-legend.ts";
import type { SearchHit } from "./search-items.ts";

/** What every page needs to know about the app it belongs to. */
export interface PageContext {
  readOnly: boolean;
  bullBoardPath: string;
  /** Seconds between automatic reloads of the overview (0 = never). */
  refreshSeconds: number;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header a{color:#cfe0ff}header h1{font-size:1.1rem;margin:0 1rem 0 0}
header form{margin-left:auto}input[type=search]{width:22rem;padding:.3rem}
main{padding:1rem;max-width:80rem}
section.batch,section.box,details.box{background:#fff;border:1px solid #d8dbe2;border-radius:6px;padding:.8rem 1rem;margin-bottom:1rem}
h2{font-size:1.05rem;margin:.1rem 0 .5rem}table{border-collapse:collapse}
td,th{padding:.2rem .6rem;text-align:left;border-bottom:1px solid #eceef2;vertical-align:top}
.bar{display:flex;height:14px;background:#e4e6eb;border-radius:7px;overflow:hidden;margin:.4rem 0;max-width:40rem}
.bar span{display:block}.s-completed{background:#2e9d5b}.s-failed{background:#d64545}
.s-downloading{background:#3b82c4}.s-processing{background:#7aa7e0}.s-queued{background:#c4c9d2}
.banner{background:#fde8e8;border:1px solid #d64545;padding:.6rem 1rem;margin-bottom:1rem;border-radius:6px}
.notice{background:#e7f4ec;border:1px solid #2e9d5b;padding:.6rem 1rem;margin-bottom:1rem;border-radius:6px}
.s-cancelled{background:#8a8f99}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:9px;font-size:.8rem;font-weight:600;color:#fff;white-space:nowrap}
.b-running{background:#3b82c4}.b-paused{background:#c27c0e}.b-stopped{background:#d64545}.b-cancelled{background:#6b7280}.b-finished{background:#2e9d5b}
table.batches{width:100%}table.batches .bar{margin:.1rem 0;width:12rem}table.batches td{vertical-align:middle}table.batches td:first-child a{white-space:nowrap}table.batches p{margin:.2rem 0 0;font-size:.85rem}
.meter{display:inline-block;vertical-align:middle;width:5rem;height:8px;background:#e4e6eb;border-radius:4px;overflow:hidden;margin-left:.4rem}.meter span{display:block;height:100%;background:#3b82c4}.meter.full span{background:#d64545}
nav.filter{margin:.3rem 0 .6rem}nav.filter a.current{font-weight:700;text-decoration:none;color:inherit}
.small{font-size:.8rem}form.inline{display:inline}ul.plain{list-style:none;padding:0;margin:.3rem 1.5rem .3rem 0}ul.plain li{margin:.15rem 0}
.legend-cols{display:flex;flex-wrap:wrap}.swatch{display:inline-block;width:.9rem;height:.9rem;border-radius:3px;vertical-align:middle}
.actions{display:flex;flex-wrap:wrap;gap:.8rem;align-items:center;margin:.5rem 0}.danger-zone{margin-left:auto}.danger-zone a,button.danger{color:#b42323}
figure.input{display:inline-block;margin:0 1rem .5rem 0}figure.input img{max-width:12rem;max-height:8rem;min-width:4rem;min-height:4rem;image-rendering:pixelated;border:1px solid #d8dbe2;border-radius:3px;display:block}pre.metadata{background:#f5f6f8;padding:.5rem;border-radius:4px;max-width:50rem;overflow:auto}.failure{color:#b42323}tr.failed-step td{color:#b42323}
.chart-row{display:flex;flex-wrap:wrap;gap:1.5rem}.chart-row figure{margin:0}.chart-row figcaption{font-size:.8rem;color:#6b7280}svg.chart{display:block;background:#fff}
details.legend summary{cursor:pointer;font-weight:600}
.stuck{color:#a15c00;font-weight:600}.muted{color:#6b7280}.kind{font-family:monospace}
button{padding:.3rem .8rem;cursor:pointer}
figure.video video{width:20rem;max-width:100%;background:#000;border-radius:4px}video.thumb{width:10rem;background:#000;border-radius:3px}.flagged{color:#a15c00;font-weight:600}
`;

/** What a page adds to the layout. */
export interface LayoutOptions {
  /** Reload the whole page every refreshSeconds (pages without live updates). */
  refresh?: boolean;
  /** Where the header's JSON link points (default /api/batches). */
  jsonHref?: string;
  /** Scripts served by the dashboard itself (the CSP allows no inline ones). */
  scripts?: string[];
}

export function layout(
  title: string,
  body: string,
  page: PageContext,
  options: LayoutOptions = {},
): string {
  const reload =
    options.refresh && page.refreshSeconds > 0
      ? `<meta http-equiv="refresh" content="${page.refreshSeconds}">`
      : "";
  const scripts = (options.scripts ?? [])
    .map((src) => `<script defer src="${e(src)}"></script>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${reload}<title>${e(title)} · veoq</title><style>${STYLE}</style>${scripts}</head>
<body><header><h1>veoq</h1><a href="/">Batches</a><a href="${e(page.bullBoardPath)}">Queues (Bull Board)</a>
<a href="/metrics">Metrics</a><a href="${e(options.jsonHref ?? "/api/batches")}">JSON</a>${page.readOnly ? '<span class="muted">read-only</span>' : ""}
<form method="get" action="/search" role="search"><input type="search" name="q" placeholder="custom_id, task_id or job id" aria-label="Search items"> <button type="submit">Search</button></form>
</header><main>${body}</main></body></html>`;
}

export function stateBar(batch: BatchView): string {
  const total = Math.max(1, batch.total);
  const order = [
    "completed",
    "failed",
    "cancelled",
    "downloading",
    "processing",
    "queued",
  ] as const;
  const spans = order
    .filter((state) => batch.counts[state] > 0)
    .map(
      (state) =>
        `<span class="s-${state}" style="width:${((batch.counts[state] / total) * 100).toFixed(2)}%" title="${state} ${batch.counts[state]}"></span>`,
    )
    .join("");
  return `<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${batch.percent}">${spans}</div>`;
}

function failedRows(batchId: string, items: FailedItem[]): string {
  return items
    .map(
      (item) => `<tr data-custom-id="${e(item.customId)}">
<td><a class="item-link" href="${e(itemUrl(batchId, item.customId))}">${e(item.customId)}</a></td>
<td class="kind">${e(item.errorKind ?? "unknown")}</td><td>${e(item.failedStage ?? "")}</td>
<td class="reason">${e(item.errorMessage ?? "")}</td><td class="muted">${e(item.taskIds.at(-1) ?? "")}</td>
<td>${item.jobUrl ? `<a class="job-link" href="${e(item.jobUrl)}">job in Bull Board</a>` : ""}</td></tr>`,
    )
    .join("");
}

function stuckRows(items: StuckItemView[]): string {
  return items
    .map(
      (item) => `<tr data-custom-id="${e(item.customId)}">
<td><a class="item-link" href="${e(itemUrl(item.batchId, item.customId))}">${e(item.customId)}</a> <a class="job-link muted" href="${e(item.jobUrl)}">job</a></td><td class="stuck">stuck ${e(formatDuration(item.ageSeconds))}</td>
<td>usual ≤ ${e(formatDuration(item.thresholdSeconds))}</td><td>${e(item.lastStatus ?? "not polled yet")}${item.progress === undefined ? "" : ` ${e(item.progress)}%`}</td>
<td class="muted">${e(item.taskId)}</td></tr>`,
    )
    .join("");
}

/** Why the batch's items wait: they reuse the renders of another batch that is paused. */
function reuseWaitLine(batch: BatchView): string {
  const wait = batch.reuseWait;
  if (wait === undefined || batch.finished || batch.counts.queued === 0) return "";
  return `\n<p class="stuck" data-reuse-wait>Waiting for batch <a href="/batches/${encodeURIComponent(wait.ownerBatchId)}">${e(wait.ownerBatchId)}</a> (paused: ${e(wait.reason)}), which renders the same requests: resuming it lets both go on.</p>`;
}

/** The word after a batch's id in its heading. */
const STATE_HEADINGS: Record<BatchView["state"], string> = {
  running: "running",
  paused: "paused",
  stopped: "stopped (credentials)",
  cancelled: "cancelled",
  finished: "finished",
};

function batchSection(batch: BatchView, page: PageContext, detail: boolean): string {
  const counts = ITEM_STATES.map(
    (state) => `<td data-state="${state}">${state} <b>${batch.counts[state]}</b></td>`,
  ).join("");
  const retry =
    !page.readOnly && batch.counts.failed > 0
      ? `<form method="get" action="/batches/${encodeURIComponent(batch.id)}/retry"><button type="submit">Retry ${batch.counts.failed} failed…</button></form>`
      : "";
  const lifecycle = page.readOnly ? "" : lifecycleButtons(batch);
  const more =
    !detail && batch.counts.failed > batch.failedItems.length
      ? `<p><a href="/batches/${encodeURIComponent(batch.id)}">all ${batch.counts.failed} failed items →</a></p>`
      : "";
  const failed =
    batch.failedItems.length > 0
      ? `<h3>Failed items</h3><table class="failed"><tr><th>custom_id</th><th>error kind</th><th>stage</th><th>reason</th><th>last task</th><th></th></tr>${failedRows(batch.id, batch.failedItems)}</table>${more}`
      : "";
  const stuck =
    batch.stuckItems.length > 0
      ? `<h3 class="stuck">Stuck items (${batch.stuckItems.length})</h3><table class="stuck-items">${stuckRows(batch.stuckItems)}</table>`
      : "";
  return `<section class="batch" data-batch="${e(batch.id)}">
<h2><a href="/batches/${encodeURIComponent(batch.id)}">${e(batch.id)}</a> <span class="badge b-${batch.state}" data-state="${batch.state}">${STATE_HEADINGS[batch.state]}</span></h2>
${stateBar(batch)}
<table><tr>${counts}<td>total <b>${batch.total}</b></td></tr></table>
<p>${batch.percent}% final · elapsed ${e(formatDuration(batch.elapsedSeconds))} · ${e(formatThroughput(batch.itemsPerSecond))} · <span data-eta>${e(etaText(batch))}</span>
· <span title="${e(POSSIBLE_DUPLICATES_MEANING)}">possible duplicates <b data-possible-duplicates>${batch.possibleDuplicates}</b></span> · re-submits ${batch.resubmits}
· priority <b data-priority>${e(batch.scheduling.priority)}</b> · provider slots <span data-slots>${batch.scheduling.slots}</span> (${Math.round(100 * batch.scheduling.slotShare)} %)
${batch.flaggedFiles > 0 ? `· <span class="flagged">flagged files <b data-flagged-files>${batch.flaggedFiles}</b></span>` : ""}
${batch.stuckItems.length > 0 ? `· <span class="stuck">${batch.stuckItems.length} stuck</span>` : ""}</p>
${batch.possibleDuplicates > 0 ? `<p class="muted small" data-possible-duplicates-meaning>${e(POSSIBLE_DUPLICATES_MEANING)}</p>` : ""}
${enqueueIncompleteLine(batch)}
${batch.waitingReason ? `<p class="stuck" data-waiting="${e(batch.waitingReason.code)}">waiting: ${e(batch.waitingReason.message)}</p>` : ""}
<p data-spend>${spendLine(batch)}</p>${reuseWaitLine(batch)}
<p class="muted">${e(batch.source)} · download <a href="/batches/${encodeURIComponent(batch.id)}/results.jsonl" download data-download="results">results (JSONL)</a> · <a href="/batches/${encodeURIComponent(batch.id)}/failures.jsonl" download data-download="failures">failures (JSONL)</a></p>
${lifecycle}${retry}${failed}${stuck}</section>`;
}

/** Estimate, spent, reserved and budget, and a loud line when the batch is paused or cancelled. */
function spendLine(batch: BatchView): string {
  const { spend, control } = batch;
  const money = (micros: number) => e(formatMoney(micros, spend.currency ?? ""));
  const state =
    control.state === "paused"
      ? `<b class="stuck" data-control="paused">paused (${e(control.reason)})</b> · `
      : control.state === "cancelled"
        ? `<b class="stuck" data-control="cancelled">cancelled</b> · `
        : "";
  return (
    `${state}estimate <b data-estimate>${money(spend.estimateMicros)}</b> · spent <b data-spent>${money(spend.spentMicros)}</b>` +
    (spend.reservedMicros > 0 ? ` · reserved ${money(spend.reservedMicros)}` : "") +
    (spend.budgetMicros === undefined
      ? ""
      : ` · budget <b data-budget>${money(spend.budgetMicros)}</b>`)
  );
}

/**
 * The batch's actions (never on a read-only dashboard, whose routes refuse them too): pause or
 * resume, resume submissions after a credentials stop, the budget, re-queue cancelled items, and
 * apart from them a link to cancel's confirmation (cancel is never one click).
 */
function lifecycleButtons(batch: BatchView): string {
  const id = encodeURIComponent(batch.id);
  const form = (name: string, label: string) =>
    `<form method="post" action="/batches/${id}/${name}" class="inline"><button type="submit" data-action="${name}">${label}</button></form>`;
  const open = batch.control.state !== "cancelled" && !batch.finished;
  const actions: string[] = [];
  if (open) {
    actions.push(
      batch.control.state === "paused" ? form("resume", "Resume") : form("pause", "Pause"),
    );
  }
  if (batch.state === "stopped") {
    actions.push(
      `<form method="post" action="/resume-submissions" class="inline"><button type="submit" data-action="resume-submissions">Resume submissions</button></form> <span class="muted small">after fixing the provider key or balance</span>`,
    );
  }
  const budget = batch.spend.budgetMicros;
  actions.push(
    `<form method="post" action="/batches/${id}/budget" class="inline budget"><label>budget <input name="budget" inputmode="decimal" size="8" value="${budget === undefined ? "" : e((budget / 1_000_000).toFixed(2))}" placeholder="e.g. 250" aria-label="New budget"></label> <button type="submit" data-action="budget">Set budget</button></form>`,
  );
  if (batch.counts.cancelled > 0) {
    actions.push(
      `<a href="/batches/${id}/retry-cancelled" data-action="retry-cancelled">Re-queue ${batch.counts.cancelled} cancelled…</a>`,
    );
  }
  const cancel = open
    ? `<span class="danger-zone"><a href="/batches/${id}/cancel" data-action="cancel">Cancel batch…</a></span>`
    : "";
  return `<div class="actions">${actions.join(" ")}${cancel}</div>`;
}

/** The live worker processes, and a banner line for each role none works on. */
export function workersPanel(snapshot: DashboardSnapshot): string {
  const now = snapshot.generatedAt;
  const ago = (ms: number) => e(formatDuration((now - ms) / 1000));
  const rows = snapshot.workers
    .map(
      (w) => `<tr data-worker="${e(w.id)}"><td>${e(w.host)}</td><td>${w.pid}</td>
<td>${w.roles.map((r) => `${e(r)}×${w.concurrency[r] ?? "?"}`).join(", ")}</td><td>${e(w.version)}</td>
<td>${ago(w.startedAt)}</td><td>${ago(w.beatAt)} ago</td>
<td>${w.lastJob === null ? '<span class="muted">none yet</span>' : `${ago(w.lastJob.at)} ago <span class="muted">${e(w.lastJob.role)} ${e(w.lastJob.jobId)}</span>`}</td></tr>`,
    )
    .join("");
  const missing = QUEUE_ROLES.filter(
    (role) => !snapshot.workers.some((w) => w.roles.includes(role)),
  );
  const warning =
    missing.length === 0
      ? ""
      : `<p class="stuck" data-missing-roles="${missing.join(",")}">${missing.map((role) => `no ${role} worker is running`).join(" · ")} (<code>veoq worker</code> starts one)</p>`;
  const table =
    snapshot.workers.length === 0
      ? ""
      : `<table class="workers"><tr><th>host</th><th>pid</th><th>roles</th><th>version</th><th>up</th><th>heartbeat</th><th>last job</th></tr>${rows}</table>`;
  return `<section class="box" data-workers="${snapshot.workers.length}"><h2>Workers (${snapshot.workers.length})</h2>${warning}${table}</section>`;
}

export function stopBanner(snapshot: DashboardSnapshot, page: PageContext): string {
  const resume = page.readOnly
    ? ""
    : ` <form method="post" action="/resume-submissions" class="inline"><button type="submit" data-action="resume-submissions">Resume now</button></form>`;
  if (snapshot.downloadsStop) {
    return `<div class="banner"><b>Downloads stopped:</b> ${e(snapshot.downloadsStop)}. Fix the bucket's credentials; workers resume by themselves once it takes writes, or run <code>veoq resume</code>.${resume}</div>`;
  }
  if (snapshot.credentialsStop) {
    return `<div class="banner"><b>Submissions stopped:</b> ${e(snapshot.credentialsStop)}. Fix the key or balance, then resume (<code>veoq resume</code>).${resume}</div>`;
  }
  if (snapshot.submitPaused) {
    return `<div class="banner">The submit queue is paused (<code>veoq resume</code> resumes it).${resume}</div>`;
  }
  return "";
}

/** The batch's section (counts, failed and stuck items), as the overview shows it. */
export function renderBatchSection(batch: BatchView, page: PageContext): string {
  return batchSection(batch, page, true);
}

export function renderSearchPage(query: string, hits: SearchHit[], page: PageContext): string {
  const rows = hits
    .map(
      (
        hit,
      ) => `<tr data-custom-id="${e(hit.customId)}"><td><a href="/batches/${encodeURIComponent(hit.batchId)}">${e(hit.batchId)}</a></td>
<td><a class="item-link" href="${e(itemUrl(hit.batchId, hit.customId))}">${e(hit.customId)}</a></td><td data-item-state>${e(hit.state ?? "unknown")}</td><td class="muted">by ${e(hit.matchedBy)}</td>
<td>${e(hit.result?.taskIds.join(", ") ?? "")}</td>
<td>${hit.result?.status === "failed" ? `<span class="kind">${e(hit.result.errorKind ?? "")}</span> <span class="reason">${e(hit.result.errorMessage ?? "")}</span>` : e(hit.result?.files.map((f) => f.uri ?? f.path).join(", ") ?? "")}</td>
<td>${hit.jobs.map((job) => `<a href="${e(job.url)}">${e(job.queue)} ${e(job.jobId)}</a> (${e(job.state)})`).join("<br>")}</td></tr>`,
    )
    .join("");
  const body =
    hits.length === 0
      ? `<section class="box">No item with custom_id, task id or job id <b>${e(query)}</b>.</section>`
      : `<section class="box"><h2>${hits.length} item${hits.length === 1 ? "" : "s"} for “${e(query)}”</h2>
<table class="hits"><tr><th>batch</th><th>custom_id</th><th>state</th><th>match</th><th>tasks</th><th>result</th><th>jobs</th></tr>${rows}</table></section>`;
  return layout(`search ${query}`, body, page);
}

export function renderMessagePage(
  title: string,
  message: string,
  page: PageContext,
  next?: { href: string; text: string },
): string {
  const link = next ? `<p><a href="${e(next.href)}">${e(next.text)}</a></p>` : "";
  return layout(
    title,
    `<section class="box"><h2>${e(title)}</h2><p>${e(message)}</p>${link}</section>`,
    page,
  );
}
