import type { BatchOverview } from "@veoq/pipeline";

/** A fixed-width text progress bar: `[#######.............] 35%`. */
export function textBar(percent: number, width = 24): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(percent).padStart(3)}%`;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** The lines `veoq status` prints for one batch. */
export function formatBatch(batch: BatchOverview): string[] {
  const c = batch.counts;
  return [
    `${batch.id}  ${textBar(batch.percent)}  ${batch.done}/${batch.total} final  ${formatDuration(batch.elapsedSeconds)}  ${batch.itemsPerSecond.toFixed(2)} items/s${batch.finished ? "  (finished)" : ""}`,
    `  queued ${c.queued}  processing ${c.processing}  downloading ${c.downloading}  completed ${c.completed}  failed ${c.failed}` +
      (c.cancelled > 0 ? `  cancelled ${c.cancelled}` : "") +
      (batch.possibleDuplicates > 0 ? `  possible duplicates ${batch.possibleDuplicates}` : "") +
      (batch.resubmits > 0 ? `  resubmits ${batch.resubmits}` : ""),
  ];
}
