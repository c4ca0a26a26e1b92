import type { BatchStore } from "../store/batch-store.ts";
import type { ItemResult } from "../store/item-result.ts";
import { type ItemState, isFinalState } from "../store/item-state.ts";

/** One line of `veoq results`: a final item's record, or the state of an item still in progress. */
export type ResultLine =
  | ({ status: "completed" | "failed" | "cancelled" } & Omit<ItemResult, "status">)
  | {
      batchId: string;
      customId: string;
      status: Exclude<ItemState, "completed" | "failed" | "cancelled">;
    };

/**
 * Streams a batch's results in pages, one line per custom_id, in manifest order (see
 * BatchStore.itemStatesInOrder), without loading the batch whole.
 */
export async function* batchResults(
  store: BatchStore,
  batchId: string,
): AsyncGenerator<ResultLine> {
  let page: [string, ItemState][] = [];
  const flush = async function* (): AsyncGenerator<ResultLine> {
    const finals = page.filter(([, state]) => isFinalState(state));
    const records = await store.itemResults(
      batchId,
      finals.map(([id]) => id),
    );
    const byId = new Map(finals.map(([id], i) => [id, records[i]]));
    for (const [customId, state] of page) {
      const record = byId.get(customId);
      if (record) yield record;
      else if (isFinalState(state)) yield { batchId, customId, status: "queued" };
      else
        yield {
          batchId,
          customId,
          status: state as Exclude<ItemState, "completed" | "failed" | "cancelled">,
        };
    }
    page = [];
  };
  for await (const entry of store.itemStatesInOrder(batchId)) {
    page.push(entry);
    if (page.length >= 500) yield* flush();
  }
  yield* flush();
}
