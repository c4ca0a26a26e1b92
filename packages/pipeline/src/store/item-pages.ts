import type { Batches } from "./batches.ts";
import type { RedisConnection } from "./connection/redis-connection.ts";
import type { ItemResult } from "./item-states.ts";
import { ITEM_STATES, type ItemState } from "./item-states.ts";
import type { RecordKeys } from "./keys.ts";

/** Custom ids (and so prefixes of them) use only these characters, all below "{" in byte order. */
const CUSTOM_ID_PREFIX = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * Reading a batch's items a page at a time: results, states in manifest order, pages by state
 * from the state sets, search by custom id and by its start. Never loads a batch whole.
 */
export class ItemPages {
  readonly redis: RedisConnection;
  readonly keys: RecordKeys;
  private readonly batches: Batches;

  constructor(redis: RedisConnection, keys: RecordKeys, batches: Batches) {
    this.redis = redis;
    this.keys = keys;
    this.batches = batches;
  }

  async itemResult(batchId: string, customId: string): Promise<ItemResult | undefined> {
    const raw = await this.redis.hget(this.keys.itemResults(batchId), customId);
    return raw === null ? undefined : (JSON.parse(raw) as ItemResult);
  }

  /** Reads the stored results of many items in one round trip. */
  async itemResults(
    batchId: string,
    customIds: readonly string[],
  ): Promise<(ItemResult | undefined)[]> {
    if (customIds.length === 0) return [];
    const raws = await this.redis.hmget(this.keys.itemResults(batchId), ...customIds);
    return raws.map((raw) => (raw === null ? undefined : (JSON.parse(raw) as ItemResult)));
  }

  /**
   * Streams (custom id, state) pairs in the order the items were registered (manifest order),
   * a page at a time, from the order list registerItems.lua keeps with the states hash.
   */
  async *itemStatesInOrder(batchId: string): AsyncGenerator<[string, ItemState]> {
    const orderKey = this.keys.itemOrder(batchId);
    const statesKey = this.keys.itemStates(batchId);
    const page = 1000;
    for (let start = 0; ; start += page) {
      const ids = await this.redis.lrange(orderKey, start, start + page - 1);
      if (ids.length === 0) return;
      const states = await this.redis.hmget(statesKey, ...ids);
      for (let i = 0; i < ids.length; i++) {
        const state = states[i];
        if (state != null) yield [ids[i] as string, state as ItemState];
      }
      if (ids.length < page) return;
    }
  }

  /**
   * One page of a batch's items, read by rank from the state sets (never the whole batch): those
   * in `state`, or all of them grouped by state in ITEM_STATES order; by custom id within a state.
   */
  async listItems(
    batchId: string,
    options: { state?: ItemState | undefined; offset: number; limit: number },
  ): Promise<{ total: number; items: { customId: string; state: ItemState }[] }> {
    const states = options.state ? [options.state] : [...ITEM_STATES];
    const sizes = await Promise.all(
      states.map((state) => this.redis.zcard(this.keys.itemsInState(batchId, state))),
    );
    const total = sizes.reduce((sum, size) => sum + size, 0);
    const reads: { state: ItemState; start: number; stop: number }[] = [];
    let skip = Math.max(0, options.offset);
    let wanted = Math.max(0, options.limit);
    states.forEach((state, i) => {
      const size = sizes[i] ?? 0;
      if (wanted === 0 || skip >= size) {
        skip = Math.max(0, skip - size);
        return;
      }
      const take = Math.min(wanted, size - skip);
      reads.push({ state, start: skip, stop: skip + take - 1 });
      wanted -= take;
      skip = 0;
    });
    const pages = await Promise.all(
      reads.map(({ state, start, stop }) =>
        this.redis.zrange(this.keys.itemsInState(batchId, state), start, stop),
      ),
    );
    const items = reads.flatMap(({ state }, i) =>
      (pages[i] ?? []).map((customId) => ({ customId, state })),
    );
    return { total, items };
  }

  /**
   * Items of the newest `batchLimit` batches whose custom id starts with `prefix`, up to `limit`
   * per batch (by custom id). A prefix with characters no custom id has finds nothing.
   */
  async findCustomIdPrefix(
    prefix: string,
    options: { batchLimit: number; limit: number },
  ): Promise<{ batchId: string; customId: string; state: ItemState }[]> {
    if (!CUSTOM_ID_PREFIX.test(prefix)) return [];
    const ids = await this.batches.listBatchIds(options.batchLimit);
    // One pipeline per batch: a batch's state sets share its hash tag, batches do not.
    const perBatch = await Promise.all(
      ids.map(async (id) => {
        const pipeline = this.redis.pipeline();
        for (const state of ITEM_STATES) {
          pipeline.zrangebylex(
            this.keys.itemsInState(id, state),
            `[${prefix}`,
            `(${prefix}{`,
            "LIMIT",
            0,
            options.limit,
          );
        }
        return (await pipeline.exec()) ?? [];
      }),
    );
    return ids.flatMap((batchId, b) =>
      ITEM_STATES.flatMap((state, s) => {
        const found = perBatch[b]?.[s]?.[1];
        return Array.isArray(found)
          ? (found as string[]).map((customId) => ({ batchId, customId, state }))
          : [];
      })
        .sort((x, y) => (x.customId < y.customId ? -1 : x.customId > y.customId ? 1 : 0))
        .slice(0, options.limit),
    );
  }

  /** Every batch (of the newest `limit`) that has an item with this custom_id, with its state. */
  async findCustomId(
    customId: string,
    limit = 1000,
  ): Promise<{ batchId: string; state: ItemState }[]> {
    const ids = await this.batches.listBatchIds(limit);
    // One command per batch, not a pipeline: each batch is its own cluster slot.
    const replies = await Promise.all(
      ids.map((id) => this.redis.hget(this.keys.itemStates(id), customId)),
    );
    return ids.flatMap((batchId, i) => {
      const state = replies[i];
      return typeof state === "string" ? [{ batchId, state: state as ItemState }] : [];
    });
  }
}
