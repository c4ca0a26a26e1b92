import type { BatchStore, ItemResult } from "@veoq/pipeline";

/**
 * Up to `limit` completed items of a batch with their results (files, and what each video is),
 * in custom id order: what the batch page plays. Stops scanning once it has enough.
 */
export async function readCompletedItems(
  store: BatchStore,
  batchId: string,
  limit: number,
): Promise<ItemResult[]> {
  const ids: string[] = [];
  if (limit <= 0) return [];
  for await (const [customId, state] of store.scanItemStates(batchId)) {
    if (state === "completed") ids.push(customId);
    if (ids.length >= limit) break;
  }
  ids.sort();
  const results = await store.itemResults(batchId, ids);
  return results.filter(
    (result): result is ItemResult => result !== undefined && result.status === "completed",
  );
}
