import { BatchBusyError, type DeleteBatchContext, deleteBatch } from "./delete-batch.ts";

const DAY_MS = 24 * 3600 * 1000;
/** Batch ids read from the batch list per round trip. */
const PAGE = 200;

/**
 * The retention policy (VEOQ_BATCH_RETENTION_DAYS): a batch whose last item became final more
 * than `retentionDays` ago loses its records, as `veoq delete BATCH` removes them (its files
 * stay): the batch list, the request index (a later line with the same request renders again)
 * and the task index drop it. 0 keeps every batch. Workers run it every
 * PIPELINE_DEFAULTS.retentionSweepIntervalMs; running it twice at once is harmless. Returns the
 * batches deleted.
 */
export async function expireFinishedBatches(
  context: DeleteBatchContext,
  retentionDays: number,
  now: number,
): Promise<string[]> {
  if (retentionDays <= 0) return [];
  const cutoff = now - retentionDays * DAY_MS;
  const { store } = context;
  const expired: string[] = [];
  // Finished after it was created: only batches created before the cutoff can qualify.
  for (let offset = 0; ; offset += PAGE) {
    const ids = await store.redis.zrangebyscore(
      store.keys.batches,
      "-inf",
      cutoff,
      "LIMIT",
      offset,
      PAGE,
    );
    for (const id of ids) {
      const batch = await store.getBatch(id);
      if (batch?.finishedAt === undefined || batch.finishedAt > cutoff) continue;
      // A manifest only partly enqueued is not finished (run the same enqueue again, or delete).
      if (batch.enqueueIncomplete !== undefined) continue;
      expired.push(id);
    }
    if (ids.length < PAGE) break;
  }
  const deleted: string[] = [];
  for (const id of expired) {
    try {
      await deleteBatch(context, id);
      deleted.push(id);
    } catch (error) {
      // Another sweep got there first, or a worker still holds one of its jobs: next time.
      if (error instanceof BatchBusyError || (error as Error).name === "UnknownBatchError")
        continue;
      throw error;
    }
  }
  return deleted;
}
