import type { BatchState, QueueRole } from "@veoq/pipeline";
import { QUEUE_ROLES } from "@veoq/pipeline";
import { formatMoney } from "@veoq/pricing";
import { etaText } from "./batch-eta-text.ts";
import { escapeHtml as e, formatDuration } from "./html-text.ts";
import { keysPanel } from "./keys-panel.ts";
import type { BatchView, DashboardSnapshot } from "./read-batches.ts";
import { enqueueIncompleteLine, renderLegend, stateBadge } from "./render-legend.ts";
import { layout, type PageContext, stateBar, stopBanner, workersPanel } from "./render-pages.ts";

/** The overview's filters and the batch states each shows. */
export const BATCH_FILTERS = {
  active: ["running"],
  paused: ["paused", "stopped"],
  finished: ["finished", "cancelled"],
} as const satisfies Record<string, readonly BatchState[]>;
export type BatchFilter = keyof typeof BATCH_FILTERS;

/** The filter a request's `show` names; undefined: every batch. */
export function batchFilterOf(value: unknown): BatchFilter | undefined {
  return typeof value === "string" && value in BATCH_FILTERS ? (value as BatchFilter) : undefined;
}

function inFilter(batch: BatchView, filter: BatchFilter | undefined): boolean {
  return filter === undefined || (BATCH_FILTERS[filter] as readonly string[]).includes(batch.state);
}

function spendCell(batch: BatchView): string {
  const { spend } = batch;
  // The price table's currency (its shipped table prices in USD) once an estimate named it.
  const money = (micros: number) => e(formatMoney(micros, spend.currency ?? "USD"));
  const spent = `<b data-spent>${money(spend.spentMicros)}</b>`;
  if (spend.budgetMicros !== undefined) {
    const used = spend.budgetMicros > 0 ? spend.spentMicros / spend.budgetMicros : 1;
    return `${spent} of budget <span data-budget>${money(spend.budgetMicros)}</span>${meter(used)}`;
  }
  return `${spent} <span class="muted">(estimate ${money(spend.estimateMicros)}; no budget)</span>`;
}

/** A small bar of a share (0..1, shown capped at 1), red once it is reached. */
function meter(share: number): string {
  const width = Math.max(0, Math.min(1, share)) * 100;
  return `<span class="meter${share >= 1 ? " full" : ""}" title="${Math.round(share * 100)} %"><span style="width:${width.toFixed(1)}%"></span></span>`;
}

function batchRow(batch: BatchView, page: PageContext, now: number): string {
  const href = `/batches/${encodeURIComponent(batch.id)}`;
  const waiting = batch.waitingReason
    ? `<p class="stuck" data-waiting="${e(batch.waitingReason.code)}">waiting: ${e(batch.waitingReason.message)}</p>`
    : "";
  const failed =
    batch.counts.failed === 0
      ? `<span class="muted">0</span>`
      : `<a href="${href}?state=failed" class="failed-count">${batch.counts.failed}</a>${
          page.readOnly
            ? ""
            : ` <form method="get" action="${href}/retry" class="inline"><button type="submit">Retry…</button></form>`
        }`;
  return `<tr data-batch="${e(batch.id)}" data-batch-state="${batch.state}">
<td><a href="${href}"><b>${e(batch.id)}</b></a><br><span class="muted small">${e(batch.source)}</span></td>
<td>${stateBadge(batch.state)}${enqueueIncompleteLine(batch)}${waiting}</td>
<td class="progress">${stateBar(batch)}<span data-done>${batch.done}/${batch.total}</span> final · ${batch.percent}%${batch.counts.cancelled > 0 ? ` · <span class="muted">${batch.counts.cancelled} cancelled</span>` : ""}</td>
<td data-eta>${e(etaText(batch))}</td>
<td data-spend>${spendCell(batch)}</td>
<td data-failed>${failed}</td>
<td data-age>${e(formatDuration((now - batch.createdAt) / 1000))}</td></tr>`;
}

function filterNav(batches: readonly BatchView[], current: BatchFilter | undefined): string {
  const link = (filter: BatchFilter | undefined, label: string) => {
    const count = batches.filter((b) => inFilter(b, filter)).length;
    const href = filter === undefined ? "/" : `/?show=${filter}`;
    return `<a href="${href}" data-show="${filter ?? "all"}"${filter === current ? ' aria-current="page" class="current"' : ""}>${label} <span data-show-count>${count}</span></a>`;
  };
  return `<nav class="filter" aria-label="Show batches">${[
    link(undefined, "all"),
    link("active", "active"),
    link("paused", "paused or stopped"),
    link("finished", "finished or cancelled"),
  ].join(" · ")}</nav>`;
}

/** The price table's currency, as the batches' spend names it (the shipped table's is USD). */
function currencyOf(snapshot: DashboardSnapshot): string {
  return snapshot.batches.find((b) => b.spend.currency)?.spend.currency ?? "USD";
}

/** Today's spend (UTC) across all batches against VEOQ_DAILY_BUDGET. */
function todayLine(snapshot: DashboardSnapshot): string {
  const currency = currencyOf(snapshot);
  const money = (micros: number) => e(formatMoney(micros, currency));
  const { today, dailyBudgetMicros } = snapshot;
  const reserved =
    today.reservedMicros > 0
      ? ` + reserved ${money(today.reservedMicros)} (creates under way)`
      : "";
  const budget =
    dailyBudgetMicros === undefined
      ? `<span class="muted">no daily budget (VEOQ_DAILY_BUDGET unset)</span>`
      : `of daily budget <b data-daily-budget>${money(dailyBudgetMicros)}</b> (VEOQ_DAILY_BUDGET)${meter(dailyBudgetMicros > 0 ? (today.spentMicros + today.reservedMicros) / dailyBudgetMicros : 1)}`;
  return `<p class="today" data-today="${e(today.day)}">Today (${e(today.day)} UTC), all batches: spent <b data-today-spent>${money(today.spentMicros)}</b>${reserved} ${budget}</p>`;
}

/** The item states whose work is a job in each queue. */
const ITEMS_OF_QUEUE: Record<QueueRole, "queued" | "processing" | "downloading"> = {
  submit: "queued",
  poll: "processing",
  download: "downloading",
};

/**
 * Queue counts beside the batch counts they reconcile with: an item in flight has one job, in the
 * queue of its state. Jobs count every batch, and completed and failed jobs are kept history.
 */
function queueTable(snapshot: DashboardSnapshot, page: PageContext, complete: boolean): string {
  const open = ["waiting", "active", "delayed", "prioritized", "paused"];
  const rows = QUEUE_ROLES.map((role) => {
    const counts = snapshot.queues[role];
    const jobs = open.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
    const state = ITEMS_OF_QUEUE[role];
    const items = snapshot.batches.reduce((sum, b) => sum + b.counts[state], 0);
    return `<tr data-queue="${role}"><td><a href="${e(page.bullBoardPath)}/queue/${role}">${role}</a></td>
<td>${state} <b data-items>${items}</b></td><td><b data-open-jobs>${jobs}</b></td>${open.map((s) => `<td>${counts[s] ?? 0}</td>`).join("")}
<td class="muted">${counts.completed ?? 0}</td><td class="muted">${counts.failed ?? 0}</td></tr>`;
  }).join("");
  const scope = complete
    ? "every batch"
    : `the ${snapshot.batches.length} newest batches (jobs count all of them)`;
  return `<section class="box"><h2>Queues</h2><table class="queues"><tr><th>queue</th><th>items (${e(scope)})</th><th>open jobs</th>${open.map((s) => `<th>${s}</th>`).join("")}<th>completed jobs</th><th>failed jobs</th></tr>${rows}</table>
<p class="muted small" data-queue-note>An item waiting for its create has one submit job, a rendering item one poll job, an item being saved one download job: each queue's open jobs (waiting + active + delayed + prioritized + paused) match the items in that state, give or take an item moving between stages. Completed and failed jobs are history kept by the queues (24 h and 14 days), not items; one item may have several (re-submits, retries).</p></section>`;
}

export function renderOverviewPage(
  snapshot: DashboardSnapshot,
  page: PageContext,
  options: { notice?: string | undefined; filter?: BatchFilter | undefined; batchLimit: number },
): string {
  const shown = snapshot.batches.filter((b) => inFilter(b, options.filter));
  const table =
    snapshot.batches.length === 0
      ? `<p>No batches yet (<code>veoq enqueue &lt;manifest&gt;</code>).</p>`
      : shown.length === 0
        ? `<p class="muted">No ${e(options.filter ?? "")} batch among the newest ${snapshot.batches.length}.</p>`
        : `<table class="batches"><thead><tr><th>batch</th><th>state</th><th>progress</th><th>ETA</th><th>spend</th><th>failed</th><th>age</th></tr></thead><tbody>${shown
            .map((b) => batchRow(b, page, snapshot.generatedAt))
            .join("")}</tbody></table>`;
  const flash = options.notice ? `<div class="notice">${e(options.notice)}</div>` : "";
  const complete = snapshot.batches.length < options.batchLimit;
  return layout(
    "batches",
    `${flash}${stopBanner(snapshot, page)}<section class="box"><h2>Batches</h2>${todayLine(snapshot)}${filterNav(snapshot.batches, options.filter)}${table}</section>
${renderLegend()}${queueTable(snapshot, page, complete)}${workersPanel(snapshot)}${keysPanel(snapshot.keys, currencyOf(snapshot))}`,
    page,
    { refresh: true },
  );
}
