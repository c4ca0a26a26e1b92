import type { BatchControlState } from "../store/batch-control.ts";

/**
 * What a batch is doing, as every view names it: `finished` once each item is final (whatever
 * its control record says), `cancelled`, `paused` (by a person or a budget), `stopped` (open
 * items, submissions stopped by a 401/402 from the provider), else `running`.
 */
export const BATCH_STATES = ["running", "paused", "stopped", "cancelled", "finished"] as const;
export type BatchState = (typeof BATCH_STATES)[number];

export function batchStateOf(input: {
  finished: boolean;
  control: BatchControlState;
  /** Why submissions are stopped for every batch (credentials or balance), if they are. */
  credentialsStop: string | undefined;
}): BatchState {
  if (input.finished) return "finished";
  if (input.control.state === "cancelled") return "cancelled";
  if (input.control.state === "paused") return "paused";
  if (input.credentialsStop !== undefined) return "stopped";
  return "running";
}
