import type { BatchControlState } from "../store/batch-control.ts";
import type { BatchRecord } from "../store/batch-store.ts";

/** Derived figures of a batch, shared by `veoq status` and the dashboard. */
export interface BatchOverview extends BatchRecord {
  done: number;
  percent: number;
  /** Time since the batch was created (up to its finish), paused and credentials-stop time left out. */
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

/** One credentials stop of the deployment (ms): `end` undefined while it lasts. */
export interface StopTime {
  start: number;
  end?: number | undefined;
}

/**
 * How long credentials stops (`stops`, one after another) held submissions within [from, to]
 * (ms), leaving out what overlaps `except` (the batch's own open pause, already counted as
 * paused). A stop still open ends at `to`. Pure: the clock is `to`.
 */
export function stoppedMsWithin(
  stops: readonly StopTime[],
  from: number,
  to: number,
  except?: { from: number; to: number },
): number {
  const overlap = (a: number, b: number, c: number, d: number) =>
    Math.max(0, Math.min(b, d) - Math.max(a, c));
  let total = 0;
  for (const stop of stops) {
    const start = Math.max(stop.start, from);
    const end = Math.min(stop.end ?? to, to);
    if (end <= start) continue;
    total += end - start;
    if (except !== undefined) total -= overlap(start, end, except.from, except.to);
  }
  return total;
}

/**
 * A batch's derived figures at `now`; with its `control` record, elapsed time and the rate leave
 * out the time it was paused (a paused batch's elapsed time stands still), and with the
 * deployment's credentials `stops` (credentialsStopTimes) the time submissions were stopped.
 * A stop that overlaps the batch's open pause counts once; one that overlaps a pause already
 * ended counts twice (the control record keeps only the ended pauses' total).
 */
export function overviewOf(
  batch: BatchRecord,
  now: number,
  control?: BatchControlState,
  stops: readonly StopTime[] = [],
): BatchOverview {
  const done = batch.counts.completed + batch.counts.failed + batch.counts.cancelled;
  const end = batch.finishedAt ?? now;
  const openPause = control?.state === "paused" ? { from: control.at, to: end } : undefined;
  const stoppedMs = stoppedMsWithin(stops, batch.createdAt, end, openPause);
  const elapsedSeconds = Math.max(
    0,
    (end - batch.createdAt - pausedMsUntil(control, end) - stoppedMs) / 1000,
  );
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
