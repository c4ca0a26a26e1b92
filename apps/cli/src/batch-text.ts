import { type BatchJson, countOf, formatDuration, formatThroughput } from "@veoq/report";

/** A text progress bar: `[#######.............]`. */
export function textBar(percent: number, width: number): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

/** Cuts a line to `width` columns, marking the cut with "…". */
export function fitToWidth(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}

export interface BatchTextOptions {
  /** Terminal columns; lines are cut to fit. Default 100. */
  width?: number;
}

/** What the status line says in place of an ETA when the batch is not running. */
const STATE_INSTEAD_OF_ETA = {
  paused: "PAUSED",
  stopped: "STOPPED (credentials)",
  cancelled: "CANCELLED",
  finished: "finished",
} as const;

const BAR_MIN = 10;
const BAR_MAX = 30;

/** The lines `veoq status` and the demo print for one batch, each at most `width` columns. */
export function formatBatch(batch: BatchJson, options: BatchTextOptions = {}): string[] {
  const width = options.width ?? 100;
  const c = batch.counts;
  const timing = [
    `${batch.done}/${batch.total} final`,
    `elapsed ${formatDuration(batch.elapsed_seconds)}`,
    formatThroughput(batch.items_per_second),
    batch.finished
      ? "finished"
      : batch.state !== undefined && batch.state !== "running"
        ? STATE_INSTEAD_OF_ETA[batch.state]
        : batch.eta_seconds === null
          ? "ETA –"
          : `ETA ${formatDuration(batch.eta_seconds)}`,
  ].join("  ");
  const percent = `${String(batch.percent).padStart(3)}%`;
  const fixed = `${batch.batch_id}  []  ${percent}  ${timing}`.length;
  const barWidth = Math.max(BAR_MIN, Math.min(BAR_MAX, width - fixed));
  const lines = [
    `${batch.batch_id}  ${textBar(batch.percent, barWidth)} ${percent}  ${timing}`,
    `  queued ${c.queued}  processing ${c.processing}  downloading ${c.downloading}  completed ${c.completed}  failed ${c.failed}` +
      (c.cancelled > 0 ? `  cancelled ${c.cancelled}` : "") +
      (batch.possible_duplicates > 0 ? `  possible duplicates ${batch.possible_duplicates}` : "") +
      (batch.resubmits > 0 ? `  resubmits ${batch.resubmits}` : "") +
      (batch.flagged_files > 0 ? `  flagged files ${batch.flagged_files}` : "") +
      (batch.reused > 0 ? `  reused ${batch.reused} (earlier renders, not paid again)` : ""),
  ];
  if (batch.enqueue_incomplete !== undefined) {
    const { lines: done, total_lines: total } = batch.enqueue_incomplete;
    lines.push(
      `  !! enqueue incomplete: ${done} of ${countOf(total, "line")} (the enqueue stopped before the end of ${batch.source}; run the same \`veoq enqueue\` again to add the rest)`,
    );
  }
  if (batch.reuse_wait !== undefined) {
    const owner = batch.reuse_wait.batch_id;
    lines.push(
      `  !! WAITING for batch ${owner} (paused: ${batch.reuse_wait.reason}), which renders the same requests: \`veoq resume ${owner}\` lets both go on`,
    );
  }
  return lines.map((line) => fitToWidth(line, width));
}

/** What to run next for a batch: look at and retry its failures, or collect its results. */
export function nextStep(batch: BatchJson): string | undefined {
  const id = batch.batch_id;
  if (batch.counts.failed > 0) {
    return `${batch.counts.failed} failed: \`veoq results ${id} --status failed\`, \`veoq retry ${id}\``;
  }
  if (batch.finished && batch.counts.completed === batch.total) {
    return `all ${countOf(batch.total, "item")} completed: \`veoq results ${id} --out results.jsonl\``;
  }
  if (batch.finished) {
    return `finished: ${batch.counts.completed} completed, ${batch.counts.cancelled} cancelled: \`veoq results ${id} --out results.jsonl\`, \`veoq retry ${id} --cancelled\` re-queues the cancelled`;
  }
  return undefined;
}

/** A failed item as the demo lists it. */
export interface FailedItemLine {
  custom_id: string;
  error_kind: string | null;
  error_message: string | null;
  /** The manifest asked for this failure (a `[sim:fail]` prompt marker). */
  planned: boolean;
}

/** A small table of failed items: custom_id, error kind, reason. */
export function formatFailedItems(items: readonly FailedItemLine[], width = 100): string[] {
  if (items.length === 0) return [];
  const rows = items.map((item) => [
    item.custom_id,
    item.error_kind ?? "–",
    `${item.error_message ?? "–"}${item.planned ? "  (planned: [sim:fail] marker)" : ""}`,
  ]);
  const header = ["custom_id", "kind", "reason"];
  const widths = [0, 1].map((i) =>
    Math.max(header[i]?.length ?? 0, ...rows.map((r) => r[i]?.length ?? 0)),
  );
  const row = (cells: string[]) =>
    fitToWidth(
      `  ${(cells[0] ?? "").padEnd(widths[0] ?? 0)}  ${(cells[1] ?? "").padEnd(widths[1] ?? 0)}  ${cells[2] ?? ""}`,
      width,
    );
  return [`failed     ${countOf(items.length, "item")}:`, row(header), ...rows.map(row)];
}
