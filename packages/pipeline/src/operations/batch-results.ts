import { randomBytes } from "node:crypto";
import type { BatchStore } from "../store/batch-store.ts";
import type { ItemResult } from "../store/item-states.ts";
import { type ItemState, isFinalState } from "../store/item-states.ts";
import { batchTag } from "../store/keys.ts";

/** One line of `veoq results`: a final item's record, or the state of an item still in progress. */
export type ResultLine =
  | ({ status: "completed" | "failed" | "cancelled" } & Omit<ItemResult, "status">)
  | {
      batchId: string;
      customId: string;
      status: Exclude<ItemState, "completed" | "failed" | "cancelled">;
    };

/**
 * The order `veoq results` writes lines in: `manifest` (default: as the manifest listed them,
 * items of a later enqueue after) or `finished` (final items by the time they became final,
 * oldest first, then the items still open in manifest order).
 */
export type ResultOrder = "manifest" | "finished";
export const RESULT_ORDERS: readonly ResultOrder[] = ["manifest", "finished"];

/** Lines read (and sorted) per round trip. */
const PAGE = 500;
/** How long a `finished` order's scratch set may outlive a reader that died (s). */
const SCRATCH_TTL_SECONDS = 3600;

/**
 * Streams a batch's results in pages, one line per custom_id, in manifest order (see
 * BatchStore.itemStatesInOrder) or finish order, without loading the batch whole.
 */
export async function* batchResults(
  store: BatchStore,
  batchId: string,
  options: { order?: ResultOrder } = {},
): AsyncGenerator<ResultLine> {
  if (options.order === "finished") {
    yield* resultsInFinishOrder(store, batchId);
    return;
  }
  yield* resultsInManifestOrder(store, batchId);
}

async function* resultsInManifestOrder(
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
    if (page.length >= PAGE) yield* flush();
  }
  yield* flush();
}

/**
 * Final items by finish time, then open ones in manifest order. Redis sorts: a first pass adds
 * each final item's finish time to a scratch sorted set under the batch's tag (a page per round
 * trip), a second reads it back a page at a time; so this process holds one page, whatever the
 * batch's size (Redis holds the set, about 100 bytes per item, until the end or an hour).
 */
async function* resultsInFinishOrder(
  store: BatchStore,
  batchId: string,
): AsyncGenerator<ResultLine> {
  const scratch = `${batchTag(store.prefix, batchId)}:finish-order:${randomBytes(6).toString("hex")}`;
  try {
    let page: [string, ItemState][] = [];
    const add = async () => {
      const finals = page.filter(([, state]) => isFinalState(state)).map(([id]) => id);
      page = [];
      const records = await store.itemResults(batchId, finals);
      const scored = finals.flatMap((id, i) => [records[i]?.finishedAt ?? 0, id]);
      if (scored.length > 0) {
        await store.redis.zadd(scratch, ...scored);
        await store.redis.expire(scratch, SCRATCH_TTL_SECONDS);
      }
    };
    for await (const entry of store.itemStatesInOrder(batchId)) {
      page.push(entry);
      if (page.length >= PAGE) await add();
    }
    await add();
    for (let start = 0; ; start += PAGE) {
      const ids = await store.redis.zrange(scratch, start, start + PAGE - 1);
      const records = await store.itemResults(batchId, ids);
      for (const [i, customId] of ids.entries()) {
        const record = records[i];
        yield record ?? { batchId, customId, status: "queued" };
      }
      if (ids.length < PAGE) break;
    }
  } finally {
    await store.redis.del(scratch);
  }
  for await (const line of resultsInManifestOrder(store, batchId)) {
    if (!isFinalState(line.status)) yield line;
  }
}
