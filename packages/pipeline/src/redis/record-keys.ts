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
  /** String: set while the submit queue is paused by a credentials stop; holds the reason. */
  credentialsStop: string;
}

export function recordKeys(prefix: string): RecordKeys {
  return {
    batches: `${prefix}:batches`,
    batch: (id) => `${prefix}:batch:${id}`,
    itemStates: (id) => `${prefix}:batch:${id}:states`,
    itemResults: (id) => `${prefix}:batch:${id}:results`,
    credentialsStop: `${prefix}:credentials-stop`,
    taskIndex: `${prefix}:task-index`,
  };
}
