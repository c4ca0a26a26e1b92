import type { Redis } from "ioredis";
import { JOB_ID_SEPARATOR } from "../jobs/job-ids.ts";
import { LuaScript } from "../redis/lua-script.ts";
import { type RecordKeys, recordKeys } from "../redis/record-keys.ts";
import type { ItemResult } from "./item-result.ts";
import { ITEM_STATE_RANK, ITEM_STATES, type ItemState } from "./item-state.ts";

/**
 * Moves one item to a new state and keeps the batch's per-state counts exact: the count of the
 * old state goes down and the new one up in the same atomic step, and a repeated transition is a
 * no-op. Without FORCE a transition never lowers the rank (see item-state.ts).
 * KEYS: states hash, batch hash. ARGV: custom id, new state, new rank, force ("1"/"0"), ranks JSON.
 */
const TRANSITION_SCRIPT = new LuaScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old == ARGV[2] then return 0 end
if old and ARGV[4] ~= '1' then
  local ranks = cjson.decode(ARGV[5])
  if (ranks[old] or 0) >= tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if old then redis.call('HINCRBY', KEYS[2], 'state:' .. old, -1) end
redis.call('HINCRBY', KEYS[2], 'state:' .. ARGV[2], 1)
return 1
`);

/**
 * Stores a final item's result, moves it to its final state (forced, counts kept exact) and
 * sets or clears the batch's finish time, in one round trip.
 * KEYS: results hash, states hash, batch hash. ARGV: custom id, result JSON, state, now.
 */
const FINISH_SCRIPT = new LuaScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old ~= ARGV[3] then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
  if old then redis.call('HINCRBY', KEYS[3], 'state:' .. old, -1) end
  redis.call('HINCRBY', KEYS[3], 'state:' .. ARGV[3], 1)
end
local done = tonumber(redis.call('HGET', KEYS[3], 'state:completed') or '0')
  + tonumber(redis.call('HGET', KEYS[3], 'state:failed') or '0')
  + tonumber(redis.call('HGET', KEYS[3], 'state:cancelled') or '0')
if done >= redis.call('HLEN', KEYS[2]) then
  redis.call('HSET', KEYS[3], 'finishedAt', ARGV[4])
else
  redis.call('HDEL', KEYS[3], 'finishedAt')
end
return 1
`);

/**
 * Registers items as queued, skipping those the batch already has (HSETNX), and returns which
 * were new. KEYS: states hash, batch hash. ARGV: custom ids.
 */
const REGISTER_SCRIPT = new LuaScript(`
local added = {}
for i = 1, #ARGV do
  if redis.call('HSETNX', KEYS[1], ARGV[i], 'queued') == 1 then
    added[#added + 1] = ARGV[i]
  end
end
if #added > 0 then redis.call('HINCRBY', KEYS[2], 'state:queued', #added) end
return added
`);

const RANKS_JSON = JSON.stringify(ITEM_STATE_RANK);

export interface BatchRecord {
  id: string;
  createdAt: number;
  source: string;
  total: number;
  counts: Record<ItemState, number>;
  /** Create requests that got no answer and were retried: the provider may have billed twice. */
  possibleDuplicates: number;
  /** New tasks created after a task failed with a transient-looking reason. */
  resubmits: number;
  /** When the last item became final (ms), if every item is final. */
  finishedAt: number | undefined;
}

/** Batch records and item states in Redis. Stateless apart from the connection. */
export class BatchStore {
  readonly keys: RecordKeys;
  readonly redis: Redis;
  /** The key prefix, for the other records of the same deployment (batch control, spend). */
  readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
    this.keys = recordKeys(prefix);
  }

  /** Creates the batch record if it does not exist yet. */
  async ensureBatch(batchId: string, source: string, now: number): Promise<void> {
    const key = this.keys.batch(batchId);
    const created = await this.redis.hsetnx(key, "createdAt", String(now));
    if (created === 1) {
      await this.redis
        .multi()
        .hset(key, "source", source)
        .zadd(this.keys.batches, now, batchId)
        .exec();
    }
  }

  async hasItems(batchId: string, customIds: readonly string[]): Promise<boolean[]> {
    if (customIds.length === 0) return [];
    const values = await this.redis.hmget(this.keys.itemStates(batchId), ...customIds);
    return values.map((v) => v !== null);
  }

  /** Marks items queued unless present; returns the custom ids that were new. */
  async registerItems(batchId: string, customIds: readonly string[]): Promise<string[]> {
    if (customIds.length === 0) return [];
    return (await REGISTER_SCRIPT.run(
      this.redis,
      [this.keys.itemStates(batchId), this.keys.batch(batchId)],
      customIds,
    )) as string[];
  }

  /** Returns true when the state changed. */
  async transition(
    batchId: string,
    customId: string,
    state: ItemState,
    options: { force?: boolean } = {},
  ): Promise<boolean> {
    const changed = await TRANSITION_SCRIPT.run(
      this.redis,
      [this.keys.itemStates(batchId), this.keys.batch(batchId)],
      [customId, state, ITEM_STATE_RANK[state], options.force ? "1" : "0", RANKS_JSON],
    );
    return changed === 1;
  }

  async itemState(batchId: string, customId: string): Promise<ItemState | undefined> {
    const value = await this.redis.hget(this.keys.itemStates(batchId), customId);
    return value === null ? undefined : (value as ItemState);
  }

  async incrementCounter(
    batchId: string,
    counter: "possibleDuplicates" | "resubmits",
    by = 1,
  ): Promise<void> {
    await this.redis.hincrby(this.keys.batch(batchId), counter, by);
  }

  /** Stores a final item's result, moves it to its final state and updates the finish time. */
  async finishItem(result: ItemResult): Promise<void> {
    await FINISH_SCRIPT.run(
      this.redis,
      [
        this.keys.itemResults(result.batchId),
        this.keys.itemStates(result.batchId),
        this.keys.batch(result.batchId),
      ],
      [result.customId, JSON.stringify(result), result.status, result.finishedAt ?? Date.now()],
    );
  }

  async itemResult(batchId: string, customId: string): Promise<ItemResult | undefined> {
    const raw = await this.redis.hget(this.keys.itemResults(batchId), customId);
    return raw === null ? undefined : (JSON.parse(raw) as ItemResult);
  }

  /** The batch is not finished any more (items were re-queued). */
  async clearFinished(batchId: string): Promise<void> {
    await this.redis.hdel(this.keys.batch(batchId), "finishedAt");
  }

  async getBatch(batchId: string): Promise<BatchRecord | undefined> {
    const [fields, total] = await Promise.all([
      this.redis.hgetall(this.keys.batch(batchId)),
      this.redis.hlen(this.keys.itemStates(batchId)),
    ]);
    if (fields.createdAt === undefined) return undefined;
    const counts = Object.fromEntries(
      ITEM_STATES.map((s) => [s, Number(fields[`state:${s}`] ?? 0)]),
    ) as Record<ItemState, number>;
    return {
      id: batchId,
      createdAt: Number(fields.createdAt),
      source: fields.source ?? "",
      total,
      counts,
      possibleDuplicates: Number(fields.possibleDuplicates ?? 0),
      resubmits: Number(fields.resubmits ?? 0),
      finishedAt: fields.finishedAt === undefined ? undefined : Number(fields.finishedAt),
    };
  }

  /** Remembers which item a provider task belongs to (search by task id). */
  async indexTask(taskId: string, batchId: string, customId: string): Promise<void> {
    await this.redis.hset(this.keys.taskIndex, taskId, `${batchId}${JOB_ID_SEPARATOR}${customId}`);
  }

  /** The item a provider task belongs to. */
  async findTask(taskId: string): Promise<{ batchId: string; customId: string } | undefined> {
    const value = await this.redis.hget(this.keys.taskIndex, taskId);
    if (value === null) return undefined;
    const at = value.indexOf(JOB_ID_SEPARATOR);
    return { batchId: value.slice(0, at), customId: value.slice(at + 1) };
  }

  /** Every batch (of the newest `limit`) that has an item with this custom_id, with its state. */
  async findCustomId(
    customId: string,
    limit = 1000,
  ): Promise<{ batchId: string; state: ItemState }[]> {
    const ids = await this.listBatchIds(limit);
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.keys.itemStates(id), customId);
    const replies = (await pipeline.exec()) ?? [];
    return ids.flatMap((batchId, i) => {
      const state = replies[i]?.[1];
      return typeof state === "string" ? [{ batchId, state: state as ItemState }] : [];
    });
  }

  /** Batch ids, newest first. */
  async listBatchIds(limit = 1000): Promise<string[]> {
    return this.redis.zrevrange(this.keys.batches, 0, limit - 1);
  }

  /** Streams (custom id, state) pairs of a batch without loading it whole. */
  async *scanItemStates(batchId: string): AsyncGenerator<[string, ItemState]> {
    let cursor = "0";
    do {
      const [next, flat] = await this.redis.hscan(
        this.keys.itemStates(batchId),
        cursor,
        "COUNT",
        1000,
      );
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        yield [flat[i] as string, flat[i + 1] as ItemState];
      }
    } while (cursor !== "0");
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
}
