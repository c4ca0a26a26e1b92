import type { BatchControlState } from "../store/batch-control.ts";
import type { BatchRecord } from "../store/batch-store.ts";

/** Derived figures of a batch, shared by `veoq status` and the dashboard. */
export interface BatchOverview extends BatchRecord {
  done: number;
  percent: number;
  /** Time since the batch was created (up to its finish), paused time left out. */
  elapsedSeconds: number;
  /** Completed and failed items per second over elapsedSeconds (cancelled ones are not work). */
  itemsPerSecond: number;
  finished: boolean;
}

/**
 * How long a batch was paused up to `end` (ms): its ended pauses (`pausedMs`, added on resume)
 * and the one still open (since `at`). Pure: the clock is `end`.
 */
export function pausedMsUntil(control: BatchControlState | undefined, end: number): number {
  if (control === undefined) return 0;
  const open = control.state === "paused" ? Math.max(0, end - control.at) : 0;
  return (control.pausedMs ?? 0) + open;
}

/**
 * A batch's derived figures at `now`; with its `control` record, elapsed time and the rate leave
 * out the time it was paused (a paused batch's elapsed time stands still).
 */
export function overviewOf(
  batch: BatchRecord,
  now: number,
  control?: BatchControlState,
): BatchOverview {
  const done = batch.counts.completed + batch.counts.failed + batch.counts.cancelled;
  const end = batch.finishedAt ?? now;
  const elapsedSeconds = Math.max(0, (end - batch.createdAt - pausedMsUntil(control, end)) / 1000);
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
