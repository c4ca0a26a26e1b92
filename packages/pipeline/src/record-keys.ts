/** Redis keys of veoq's own records, under the same prefix (hash tag) as the queues. */
export interface RecordKeys {
  /** Sorted set: batch id by creation time (ms). */
  batches: string;
  /** Hash: the batch record (createdAt, source, counters, `state:<s>` counts). */
  batch(batchId: string): string;
  /** Hash: custom id -> item state. Its length is the batch total. */
  itemStates(batchId: string): string;
  /** Hash: custom id -> JSON result of a final item. */
  itemResults(batchId: string): string;
  /** Hash: provider task id -> "<batch>~<custom id>", for search by task id. */
  taskIndex: string;
  /** Hash: a batch's pause or cancel (state, reason, at); absent while it runs. */
  batchControl(batchId: string): string;
  /** Hash: a batch's money: estimate, budget, spent and reserved (micro-units, see spend-ledger.ts). */
  batchSpend(batchId: string): string;
  /** Hash: money spent and reserved on one UTC day (YYYY-MM-DD) across batches; expires after a week. */
  dailySpend(day: string): string;
  /** Hash: reservation holder ("<batch>~<custom>~<n>") -> "<day>|<micros>". */
  spendReservations: string;
  /** Sorted set: reservation holder by the time it was taken (ms), for reconciliation. */
  spendReservationTimes: string;
  /** String: set while the submit queue is paused by a credentials stop; holds the reason. */
  credentialsStop: string;
}

export function recordKeys(prefix: string): RecordKeys {
  return {
    batches: `${prefix}:batches`,
    batch: (id) => `${prefix}:batch:${id}`,
    itemStates: (id) => `${prefix}:batch:${id}:states`,
    itemResults: (id) => `${prefix}:batch:${id}:results`,
    batchControl: (id) => `${prefix}:batch:${id}:control`,
    batchSpend: (id) => `${prefix}:batch:${id}:spend`,
    dailySpend: (day) => `${prefix}:daily-spend:${day}`,
    spendReservations: `${prefix}:spend-reservations`,
    spendReservationTimes: `${prefix}:spend-reservation-times`,
    credentialsStop: `${prefix}:credentials-stop`,
    taskIndex: `${prefix}:task-index`,
  };
}
