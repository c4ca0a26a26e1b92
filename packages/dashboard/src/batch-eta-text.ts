import { remainingSeconds } from "@veoq/report";
import { formatDuration } from "./html-text.ts";
import type { BatchView } from "./read-batches.ts";

/** What the ETA column says: the ETA while running, else why there is none. */
export function etaText(batch: BatchView): string {
  if (batch.finished) return `done in ${formatDuration(batch.elapsedSeconds)}`;
  if (batch.state !== "running") return `no ETA (${batch.state})`;
  const eta = remainingSeconds(batch.total - batch.done, batch.itemsPerSecond);
  return eta === undefined ? "ETA –" : `ETA ${formatDuration(eta)}`;
}
