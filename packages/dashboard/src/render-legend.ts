import type { BatchState } from "@veoq/pipeline";
import { escapeHtml as e } from "./html-text.ts";

/** The badge of each batch state: its words and what it means for an operator. */
export const STATE_BADGES: Record<BatchState, { label: string; meaning: string }> = {
  running: { label: "running", meaning: "items are being created, rendered or saved" },
  paused: {
    label: "paused",
    meaning: "no new creates (by a person or a budget); tasks already paid for still finish",
  },
  stopped: {
    label: "stopped (credentials)",
    meaning: "the provider refused the key or balance (401/402); fix it, then resume submissions",
  },
  cancelled: {
    label: "cancelled",
    meaning: "its queued items end without a create; cancelled items can be re-queued",
  },
  finished: { label: "finished", meaning: "every item is final (completed, failed or cancelled)" },
};

/** What "possible duplicates" counts, in the one sentence shown wherever the number is. */
export const POSSIBLE_DUPLICATES_MEANING =
  "Possible duplicates are creates that got no answer (a timeout or a lost connection): the provider may have made, and charged for, a task veoq never heard of.";

/** The line a batch whose manifest is only partly in shows (nothing when it is complete). */
export function enqueueIncompleteLine(batch: {
  enqueueIncomplete?: { lines: number; totalLines: number } | undefined;
}): string {
  const mark = batch.enqueueIncomplete;
  if (mark === undefined) return "";
  return `<p class="stuck" data-enqueue-incomplete>enqueue incomplete: ${mark.lines} of ${mark.totalLines} lines (run the same enqueue again to finish it)</p>`;
}

export function stateBadge(state: BatchState): string {
  return `<span class="badge b-${state}" data-badge="${state}">${e(STATE_BADGES[state].label)}</span>`;
}

/** The legend of the badges, the progress bar's colours and the counts' words. */
export function renderLegend(): string {
  const badges = (Object.keys(STATE_BADGES) as BatchState[])
    .map((state) => `<li>${stateBadge(state)} ${e(STATE_BADGES[state].meaning)}</li>`)
    .join("");
  const colours = [
    ["completed", "completed"],
    ["failed", "failed"],
    ["cancelled", "cancelled"],
    ["downloading", "downloading (paid task done, files being saved)"],
    ["processing", "processing (task created, rendering at the provider)"],
    ["queued", "queued (no task yet, nothing paid)"],
  ]
    .map(([state, words]) => `<li><span class="swatch s-${state}"></span> ${e(words)}</li>`)
    .join("");
  return `<details class="box legend" data-legend open><summary>Legend</summary>
<div class="legend-cols"><ul class="plain">${badges}</ul><ul class="plain">${colours}</ul></div>
<p class="muted">${e(POSSIBLE_DUPLICATES_MEANING)}</p></details>`;
}
