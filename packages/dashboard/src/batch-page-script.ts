/**
 * The batch page's live updates, served as a script file (the dashboard's CSP allows scripts
 * from its own origin only, never inline ones). Every `data-live-seconds` it reads the page's
 * items (`data-items-api`) and the batch's counts (`data-batch-api`) and redraws the item table
 * and the counts in place, with the same cells as render-batch-page.ts `itemRowHtml`; a row whose
 * signature (`itemRowSignature`) did not change is kept as it is, so a playing video plays on. Text goes
 * in through textContent only. It stops while the tab is hidden and says when a read fails.
 */
export const BATCH_PAGE_SCRIPT = `"use strict";
(() => {
  const table = document.querySelector("table.items[data-items-api]");
  if (!table) return;
  const seconds = Number(table.dataset.liveSeconds);
  if (!(seconds > 0)) return;
  const body = table.tBodies[0];
  const status = document.querySelector("[data-live-status]");
  const time = (iso) => (iso ? iso.replace("T", " ").slice(0, 19) : "");
  const el = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  };
  const link = (href, text, className) => {
    const a = el("a", text, className);
    a.href = href;
    return a;
  };
  const lines = (parts) => {
    const nodes = [];
    parts.forEach((part, i) => {
      if (i > 0) nodes.push(el("br"));
      nodes.push(part);
    });
    return nodes;
  };
  const signature = (item) =>
    [item.state, item.task_ids.join(","), item.files.length, item.polls || 0].join("|");
  const row = (item) => {
    const tr = el("tr");
    tr.dataset.customId = item.custom_id;
    tr.dataset.sig = signature(item);
    const td = (children, className) => {
      const cell = el("td", undefined, className);
      cell.append(...children);
      tr.append(cell);
    };
    td([link(item.url, item.custom_id, "item-link")]);
    const state = [el("span", item.state)];
    state[0].setAttribute("data-item-state", "");
    if (item.error_kind) {
      const kind = el("span", item.error_kind, "kind");
      kind.title = item.error_message || "";
      state.push(el("br"), kind);
    }
    td(state, "state");
    td([item.prompt || ""], "prompt");
    td([item.model || ""]);
    const length = [item.duration_seconds === null ? "" : item.duration_seconds + " s", item.resolution || ""];
    td([length.filter((part) => part !== "").join(" · ")]);
    td([item.attempts === null ? "" : item.attempts + " create · " + (item.polls || 0) + " polls"]);
    td(lines(item.task_ids), "muted");
    td([time(item.enqueued_at)]);
    td([time(item.finished_at)]);
    td(
      lines(
        item.files.map((file) => {
          const span = el("span");
          const video = el("video", undefined, "thumb");
          video.controls = true;
          video.preload = "none";
          video.src = file.url;
          const a = link(file.url, "#" + file.index, "file-link");
          a.setAttribute("download", "");
          span.append(video, el("br"), a, " ", el("span", file.bytes + " B", "muted"));
          if (file.flagged) {
            const flag = el("span", "⚠ flagged", "flagged");
            flag.setAttribute("data-flagged", "");
            span.append(" ", flag);
          }
          return span;
        }),
      ),
      "files",
    );
    return tr;
  };
  const readJson = async (url) => {
    const response = await fetch(url, { headers: { accept: "application/json" } });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  };
  const setAll = (selector, text) => {
    for (const node of document.querySelectorAll(selector)) node.textContent = String(text);
  };
  let updates = 0;
  const refresh = async () => {
    if (!document.hidden) {
      try {
        const [page, batch] = await Promise.all([
          readJson(table.dataset.itemsApi),
          readJson(table.dataset.batchApi),
        ]);
        const shown = new Map([...body.rows].map((tr) => [tr.dataset.customId, tr]));
        body.replaceChildren(
          ...page.items.map((item) => {
            const old = shown.get(item.custom_id);
            return old && old.dataset.sig === signature(item) ? old : row(item);
          }),
        );
        for (const [state, count] of Object.entries(batch.counts)) {
          setAll('[data-state="' + state + '"] b', count);
          setAll('[data-filter-count="' + state + '"]', count);
        }
        setAll('[data-filter-count="all"]', batch.total);
        const from = page.total === 0 ? 0 : page.offset + 1;
        setAll("[data-items-range]", from + "–" + Math.min(page.total, page.offset + page.items.length));
        setAll("[data-items-total]", page.total);
        updates += 1;
        table.dataset.updates = String(updates);
        if (status) status.textContent = "live: updated " + new Date().toLocaleTimeString();
      } catch (error) {
        if (status) status.textContent = "live updates failing (" + error.message + "), retrying";
      }
    }
    setTimeout(refresh, seconds * 1000);
  };
  setTimeout(refresh, seconds * 1000);
})();
`;
