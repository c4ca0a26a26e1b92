import type { BatchRecord } from "../store/batch-store.ts";

/** Derived figures of a batch, shared by `veoq status` and the dashboard. */
export interface BatchOverview extends BatchRecord {
  done: number;
  percent: number;
  elapsedSeconds: number;
  /** Completed and failed items per second since the batch was created (cancelled ones are not work). */
  itemsPerSecond: number;
  finished: boolean;
}

export function overviewOf(batch: BatchRecord, now: number): BatchOverview {
  const done = batch.counts.completed + batch.counts.failed + batch.counts.cancelled;
  const end = batch.finishedAt ?? now;
  const elapsedSeconds = Math.max(0, (end - batch.createdAt) / 1000);
  return {
    ...batch,
    done,
    percent: batch.total === 0 ? 100 : Math.floor((done / batch.total) * 100),
    elapsedSeconds,
    // Cancelled items end without work: they are final, but not throughput.
    itemsPerSecond: elapsedSeconds > 0 ? (done - batch.counts.cancelled) / elapsedSeconds : 0,
    // A manifest only partly enqueued is not finished when its items so far are.
    finished: batch.total > 0 && done === batch.total && batch.enqueueIncomplete === undefined,
  };
}
