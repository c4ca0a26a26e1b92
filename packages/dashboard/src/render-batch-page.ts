import { ITEM_STATES } from "@veoq/pipeline";
import type { DeliveryJson } from "@veoq/webhooks";
import { escapeHtml as e } from "./html-text.ts";
import type { BatchView } from "./read-batches.ts";
import type { ItemPage, ItemRow } from "./read-items.ts";
import { renderBatchCharts } from "./render-batch-charts.ts";
import { renderLegend } from "./render-legend.ts";
import { layout, type PageContext, renderBatchSection } from "./render-pages.ts";
import { BULL_BOARD_RETRY_NOTE } from "./render-retry-page.ts";

/** Where the batch page's live-update script is served (see batch-page-script.ts). */
export const BATCH_PAGE_SCRIPT_PATH = "/assets/batch-page.js";

/** A time as the item table shows it (UTC, to the second); the script formats it the same way. */
export function itemTime(ms: number | undefined): string {
  return ms === undefined ? "" : new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

/**
 * What a row shows that can change while the page is open; the live update keeps a row whose
 * signature did not change (so a video playing in it keeps playing). batch-page-script.ts builds
 * the same string from the JSON.
 */
export function itemRowSignature(
  state: string,
  taskIds: readonly string[],
  files: number,
  polls: number,
): string {
  return [state, taskIds.join(","), files, polls].join("|");
}

/** One row of the item table; batch-page-script.ts builds the same cells from the JSON. */
export function itemRowHtml(row: ItemRow): string {
  const length = [
    row.durationSeconds === undefined ? "" : `${row.durationSeconds} s`,
    row.resolution ?? "",
  ]
    .filter((part) => part !== "")
    .join(" · ");
  const attempts =
    row.submitAttempts === undefined
      ? ""
      : `${row.submitAttempts} create · ${row.polls ?? 0} polls`;
  const kind = row.errorKind
    ? `<br><span class="kind" title="${e(row.errorMessage ?? "")}">${e(row.errorKind)}</span>`
    : "";
  const files = row.files
    .map(
      (file) =>
        `<video class="thumb" controls preload="none" src="${e(file.url)}"></video><br><a class="file-link" href="${e(file.url)}" download>#${file.index}</a> <span class="muted">${e(file.bytes)} B</span>${file.flagged ? ' <span class="flagged" data-flagged>⚠ flagged</span>' : ""}`,
    )
    .join("<br>");
  return `<tr data-custom-id="${e(row.customId)}" data-sig="${e(itemRowSignature(row.state, row.taskIds, row.files.length, row.polls ?? 0))}"><td><a class="item-link" href="${e(row.url)}">${e(row.customId)}</a></td>
<td class="state"><span data-item-state>${e(row.state)}</span>${kind}</td><td class="prompt">${e(row.prompt ?? "")}</td>
<td>${e(row.model ?? "")}</td><td>${e(length)}</td><td>${e(attempts)}</td>
<td class="muted">${row.taskIds.map((id) => e(id)).join("<br>")}</td>
<td>${e(itemTime(row.enqueuedAt))}</td><td>${e(itemTime(row.finishedAt))}</td><td class="files">${files}</td></tr>`;
}

export const ITEM_TABLE_HEAD =
  "<tr><th>custom_id</th><th>state</th><th>prompt</th><th>model</th><th>length</th><th>attempts</th><th>tasks</th><th>enqueued (UTC)</th><th>finished (UTC)</th><th>files</th></tr>";

function pageHref(batchId: string, state: string | undefined, offset: number, limit: number) {
  const query = new URLSearchParams();
  if (state) query.set("state", state);
  if (offset > 0) query.set("offset", String(offset));
  if (limit !== 50) query.set("limit", String(limit));
  const text = query.toString();
  return `/batches/${encodeURIComponent(batchId)}${text ? `?${text}` : ""}`;
}

function stateFilter(batch: BatchView, items: ItemPage): string {
  const link = (state: string | undefined, label: string, count: number) => {
    const current = items.state === state;
    return `<a href="${e(pageHref(batch.id, state, 0, items.limit))}" data-filter="${state ?? "all"}"${current ? ' aria-current="page" class="current"' : ""}>${label} <span data-filter-count="${state ?? "all"}">${count}</span></a>`;
  };
  return `<nav class="filter" aria-label="Filter items by state">${[
    link(undefined, "all", batch.total),
    ...ITEM_STATES.map((state) => link(state, state, batch.counts[state])),
  ].join(" · ")}</nav>`;
}

function pager(batch: BatchView, items: ItemPage): string {
  const from = items.total === 0 ? 0 : items.offset + 1;
  const to = Math.min(items.total, items.offset + items.items.length);
  const previous =
    items.offset > 0
      ? `<a rel="prev" href="${e(pageHref(batch.id, items.state, Math.max(0, items.offset - items.limit), items.limit))}">‹ previous</a>`
      : "";
  const next =
    items.offset + items.limit < items.total
      ? `<a rel="next" href="${e(pageHref(batch.id, items.state, items.offset + items.limit, items.limit))}">next ›</a>`
      : "";
  return `<p class="pager">${previous} <span data-items-range>${from}–${to}</span> of <span data-items-total>${items.total}</span> ${next}</p>`;
}

/** Deliveries listed on a batch's page (the newest). */
const WEBHOOK_ROWS = 100;

/** Where a delivery went, without the URL's query (it may hold the receiver's token). */
function endpointText(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "";
  }
}

/**
 * The batch's webhook deliveries (`veoq webhooks BATCH` shows the same): each event and
 * endpoint, its state, its tries' statuses and the next try. Nothing when the batch has none.
 */
export function renderWebhookSection(deliveries: readonly DeliveryJson[] | undefined): string {
  if (deliveries === undefined || deliveries.length === 0) return "";
  const shown = deliveries.slice(-WEBHOOK_ROWS);
  const rows = shown
    .map((d) => {
      const tries = d.attempts
        .map((a) =>
          a.status === null
            ? `<span title="${e(a.error ?? "")}">no answer</span>`
            : `<span title="${e(a.at)}">${e(a.status)}</span>`,
        )
        .join(" · ");
      const next = d.attempts.at(-1)?.next_attempt_at ?? null;
      return `<tr data-delivery-id="${e(d.delivery_id)}"><td>${e(d.type)}</td><td>${e(d.custom_id ?? "")}</td><td class="muted">${e(endpointText(d.url))}</td><td class="state">${e(d.state)}</td><td>${tries}</td><td>${e(next === null ? "" : next.replace("T", " ").slice(0, 19))}</td><td class="muted">${e(d.delivery_id)}</td></tr>`;
    })
    .join("");
  const more =
    deliveries.length > shown.length
      ? `<p class="muted">the newest ${shown.length} of ${deliveries.length}; all: <code>veoq webhooks</code></p>`
      : "";
  return `<section class="box webhooks"><h2>Webhooks</h2>${more}<table class="webhooks">
<thead><tr><th>event</th><th>item</th><th>endpoint</th><th>state</th><th>tries (HTTP status)</th><th>next try (UTC)</th><th>delivery id</th></tr></thead><tbody>${rows}</tbody></table>
<p class="muted">A delivery is sent again with <code>POST /v1/webhooks/{delivery_id}/replay</code> of <code>veoq api</code>.</p></section>`;
}

/**
 * A batch's own page: its section as on the overview, then its items, a page at a time, with a
 * state filter. With `liveSeconds` > 0 the script re-reads the page's items and counts from the
 * JSON API that often and redraws them in place (no full-page reload).
 */
export function renderBatchPage(
  batch: BatchView,
  items: ItemPage,
  page: PageContext,
  options: { notice?: string | undefined; liveSeconds: number },
): string {
  const flash = options.notice ? `<div class="notice">${e(options.notice)}</div>` : "";
  const api = new URLSearchParams();
  if (items.state) api.set("state", items.state);
  api.set("offset", String(items.offset));
  api.set("limit", String(items.limit));
  const id = encodeURIComponent(batch.id);
  const rows = items.items.map(itemRowHtml).join("");
  const table = `<section class="box"><h2>Items</h2>${stateFilter(batch, items)}${pager(batch, items)}
<table class="items" data-items-api="/api/batches/${id}/items?${e(api.toString())}" data-batch-api="/api/batches/${id}" data-live-seconds="${options.liveSeconds}">
<thead>${ITEM_TABLE_HEAD}</thead><tbody>${rows}</tbody></table>
<p class="muted" data-live-status>${options.liveSeconds > 0 ? `live: updated every ${options.liveSeconds} s` : ""}</p>
<p class="muted bull-board-note">${e(BULL_BOARD_RETRY_NOTE)}</p></section>`;
  const webhooks = renderWebhookSection(batch.webhookDeliveries);
  const charts = batch.timeline
    ? renderBatchCharts({
        points: batch.timeline,
        createdAt: batch.createdAt,
        // The time the view was read (elapsed runs to it, or to the finish).
        end: batch.createdAt + batch.elapsedSeconds * 1000,
        currency: batch.spend.currency ?? "USD",
        budgetMicros: batch.spend.budgetMicros,
      })
    : "";
  return layout(
    batch.id,
    `${flash}${renderBatchSection(batch, page)}${charts}${table}${webhooks}${renderLegend()}`,
    page,
    {
      jsonHref: `/api/batches/${id}`,
      scripts: options.liveSeconds > 0 ? [BATCH_PAGE_SCRIPT_PATH] : [],
    },
  );
}
