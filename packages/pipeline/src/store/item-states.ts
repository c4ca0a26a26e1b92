import { type Batches, ENQUEUE_RUNNING_LUA, STATE_SETS_FIELD } from "./batches.ts";
import type { RedisConnection } from "./connection/redis-connection.ts";
import type { ItemResult } from "./item-result.ts";
import { ITEM_STATE_RANK, ITEM_STATES, type ItemState } from "./item-state.ts";
import type { RecordKeys } from "./keys.ts";
import { LuaScript } from "./lua-script.ts";
import { deadlineLua } from "./server-deadline.ts";
import { EMIT_BATCH_EVENT_LUA, itemEventsField } from "./webhook-outbox.ts";

/**
 * Lua prelude: `inState[state]` is the key of the sorted set of items in that state (see
 * RecordKeys.itemsInState), taken from KEYS[first..] in ITEM_STATES order, whose names are ARGV[namesArg].
 */
function stateSetsLua(first: number, namesArg: number): string {
  return `
local inState = {}
for i, name in ipairs(cjson.decode(ARGV[${namesArg}])) do inState[name] = KEYS[${first} + i - 1] end
local function move(id, old, new)
  if old and inState[old] then redis.call('ZREM', inState[old], id) end
  redis.call('ZADD', inState[new], 0, id)
end`;
}

/**
 * Moves one item to a new state and keeps the batch's per-state counts and sets exact: the count
 * of the old state goes down and the new one up in the same atomic step, and a repeated transition
 * is a no-op. Without FORCE a transition never lowers the rank (see item-state.ts); FORCE "f" moves
 * only an item that is failed.
 * KEYS: states hash, batch hash, state sets. ARGV: custom id, new state, new rank, force ("1"/"0"),
 * ranks JSON, state names JSON, deadline (ms, Redis server clock, "" for none: see
 * store/server-deadline.ts). Returns 1 when changed, 0 when not, -1 past the deadline.
 */
const TRANSITION_LUA = `${deadlineLua(7)}${stateSetsLua(3, 6)}
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old == ARGV[2] then return 0 end
if ARGV[4] == 'f' and old ~= 'failed' then return 0 end
if old and ARGV[4] == '0' then
  local ranks = cjson.decode(ARGV[5])
  if (ranks[old] or 0) >= tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if old then redis.call('HINCRBY', KEYS[2], 'state:' .. old, -1) end
redis.call('HINCRBY', KEYS[2], 'state:' .. ARGV[2], 1)
move(ARGV[1], old, ARGV[2])
return 1
`;
const TRANSITION_SCRIPT = new LuaScript(TRANSITION_LUA);

export interface TransitionOptions {
  /** Lower the rank too (a retry). */
  force?: boolean;
  /** Move the item only if it is failed, whatever the rank (a retry whose job already runs). */
  fromFailed?: boolean;
  /** Ms on the Redis server's clock after which nothing is written (WriteDeadlineError). */
  deadline?: number | undefined;
}

/** A write with a deadline that reached Redis after it: nothing was written. */
export class WriteDeadlineError extends Error {
  override name = "WriteDeadlineError";
  constructor() {
    super("not applied: Redis took the write only after its deadline (it was stalled or slow)");
  }
}

/**
 * Stores a final item's result, moves it to its final state (forced, counts kept exact) and
 * sets or clears the batch's finish time, and keeps the batch's count of flagged files exact (an
 * item finished again replaces its old count), in one round trip. In the same step it writes the
 * webhook outbox entries of what changed (store/webhook-outbox.ts): item.failed /
 * item.completed when the item's state changed and the batch (its `webhookItemEvents`) or the
 * account (ARGV[7]) asked for them, batch.completed when this finish made every item final.
 * KEYS: results hash, states hash, batch hash, flagged-files hash, webhook outbox, state sets.
 * ARGV: custom id, result JSON, state, now, flagged files of this result, state names JSON,
 * account-wide item events (",item.failed,"), batch id. Returns the number of outbox entries.
 */
const FINISH_SCRIPT =
  new LuaScript(`${stateSetsLua(6, 6)}${EMIT_BATCH_EVENT_LUA}${ENQUEUE_RUNNING_LUA}
local wasFinished = redis.call('HEXISTS', KEYS[3], 'finishedAt')
local events = 0
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local flagged = tonumber(ARGV[5])
local wasFlagged = tonumber(redis.call('HGET', KEYS[4], ARGV[1]) or '0')
if flagged ~= wasFlagged then
  if flagged > 0 then redis.call('HSET', KEYS[4], ARGV[1], flagged) else redis.call('HDEL', KEYS[4], ARGV[1]) end
  redis.call('HINCRBY', KEYS[3], 'flaggedFiles', flagged - wasFlagged)
end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old ~= ARGV[3] then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
  if old then redis.call('HINCRBY', KEYS[3], 'state:' .. old, -1) end
  redis.call('HINCRBY', KEYS[3], 'state:' .. ARGV[3], 1)
  move(ARGV[1], old, ARGV[3])
  local kind = nil
  if ARGV[3] == 'failed' then kind = 'item.failed' elseif ARGV[3] == 'completed' then kind = 'item.completed' end
  if kind then
    local wanted = (redis.call('HGET', KEYS[3], 'webhookItemEvents') or '') .. ARGV[7]
    if string.find(wanted, ',' .. kind .. ',', 1, true) then
      emitBatchEvent(KEYS[3], KEYS[5], ARGV[8], kind, ARGV[1], ARGV[4])
      events = events + 1
    end
  end
end
local done = tonumber(redis.call('HGET', KEYS[3], 'state:completed') or '0')
  + tonumber(redis.call('HGET', KEYS[3], 'state:failed') or '0')
  + tonumber(redis.call('HGET', KEYS[3], 'state:cancelled') or '0')
if done >= redis.call('HLEN', KEYS[2]) then
  redis.call('HSET', KEYS[3], 'finishedAt', ARGV[4])
  if wasFinished == 0 then
    if enqueueRunning(KEYS[3], ARGV[4]) then
      redis.call('HSET', KEYS[3], 'completionDeferred', '1')
    else
      emitBatchEvent(KEYS[3], KEYS[5], ARGV[8], 'batch.completed', nil, ARGV[4])
      events = events + 1
    end
  end
else
  redis.call('HDEL', KEYS[3], 'finishedAt')
end
return events
`);

/**
 * Like FINISH_SCRIPT for an item that never got a task (no flagged files, no item event), but
 * only while it is still `queued`: a worker may have taken it meanwhile, and then it finishes
 * normally. Writes batch.completed to the outbox when this made every item final.
 * KEYS: results hash, states hash, batch hash, webhook outbox, state sets. ARGV: custom id,
 * result JSON, state, now, state names JSON, batch id. Returns -1 when the item had moved on, else
 * the number of outbox entries written (0 or 1).
 */
const FINISH_QUEUED_SCRIPT =
  new LuaScript(`${stateSetsLua(5, 5)}${EMIT_BATCH_EVENT_LUA}${ENQUEUE_RUNNING_LUA}
if redis.call('HGET', KEYS[2], ARGV[1]) ~= 'queued' then return -1 end
local wasFinished = redis.call('HEXISTS', KEYS[3], 'finishedAt')
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[3], 'state:queued', -1)
redis.call('HINCRBY', KEYS[3], 'state:' .. ARGV[3], 1)
move(ARGV[1], 'queued', ARGV[3])
local done = tonumber(redis.call('HGET', KEYS[3], 'state:completed') or '0')
  + tonumber(redis.call('HGET', KEYS[3], 'state:failed') or '0')
  + tonumber(redis.call('HGET', KEYS[3], 'state:cancelled') or '0')
if done >= redis.call('HLEN', KEYS[2]) then
  redis.call('HSET', KEYS[3], 'finishedAt', ARGV[4])
  if wasFinished == 0 then
    if enqueueRunning(KEYS[3], ARGV[4]) then
      redis.call('HSET', KEYS[3], 'completionDeferred', '1')
      return 0
    end
    emitBatchEvent(KEYS[3], KEYS[4], ARGV[6], 'batch.completed', nil, ARGV[4])
    return 1
  end
end
return 0
`);

/**
 * Registers items as queued, skipping those the batch already has (HSETNX), and returns which
 * were new, appending them to the order list; a batch that gets new items is not finished any
 * more. KEYS: states hash, batch hash, state sets, order list. ARGV: state names JSON, custom ids.
 */
const REGISTER_SCRIPT = new LuaScript(`${stateSetsLua(3, 1)}
local added = {}
for i = 2, #ARGV do
  if redis.call('HSETNX', KEYS[1], ARGV[i], 'queued') == 1 then
    added[#added + 1] = ARGV[i]
    move(ARGV[i], nil, 'queued')
  end
end
if #added > 0 then
  redis.call('HINCRBY', KEYS[2], 'state:queued', #added)
  -- Not finished any more: it has queued items (its next finish is a new batch.completed).
  redis.call('HDEL', KEYS[2], 'finishedAt')
end
for i = 1, #added, 1000 do
  redis.call('RPUSH', KEYS[#KEYS], unpack(added, i, math.min(i + 999, #added)))
end
return added
`);

/**
 * Adds items of a batch written before the state sets existed to the set of their current state
 * (read here, atomically, so a transition meanwhile cannot leave one in two sets).
 * KEYS: states hash, state sets. ARGV: state names JSON, custom ids.
 */
const INDEX_SCRIPT = new LuaScript(`${stateSetsLua(2, 1)}
for i = 2, #ARGV do
  local state = redis.call('HGET', KEYS[1], ARGV[i])
  if state and inState[state] then redis.call('ZADD', inState[state], 0, ARGV[i]) end
end
return 1
`);

const STATE_NAMES_JSON = JSON.stringify(ITEM_STATES);

/** The first ARGV of both finish scripts: custom id, result JSON, state, now. */
function finishArgs(result: ItemResult): (string | number)[] {
  return [result.customId, JSON.stringify(result), result.status, result.finishedAt ?? Date.now()];
}

const RANKS_JSON = JSON.stringify(ITEM_STATE_RANK);

/**
 * The items' states of each batch: registering items, moving them between states with the
 * batch's per-state counts and state sets kept exact, finishing them with their result (and the
 * webhook outbox entries of the move). Stateless apart from the connection.
 */
export class ItemStates {
  readonly redis: RedisConnection;
  readonly keys: RecordKeys;
  private readonly batches: Batches;

  constructor(redis: RedisConnection, keys: RecordKeys, batches: Batches) {
    this.redis = redis;
    this.keys = keys;
    this.batches = batches;
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
      [
        this.keys.itemStates(batchId),
        this.keys.batch(batchId),
        ...this.stateSetKeys(batchId),
        this.keys.itemOrder(batchId),
      ],
      [STATE_NAMES_JSON, ...customIds],
    )) as string[];
  }

  /** Returns true when the state changed. */
  async transition(
    batchId: string,
    customId: string,
    state: ItemState,
    options: TransitionOptions = {},
  ): Promise<boolean> {
    const { keys, args } = this.transitionCall(batchId, customId, state, options);
    const changed = await TRANSITION_SCRIPT.run(this.redis, keys, args);
    if (changed === -1) throw new WriteDeadlineError();
    return changed === 1;
  }

  /** The KEYS and ARGV of TRANSITION_LUA for one item. */
  private transitionCall(
    batchId: string,
    customId: string,
    state: ItemState,
    options: TransitionOptions = {},
  ): { keys: string[]; args: string[] } {
    return {
      keys: [
        this.keys.itemStates(batchId),
        this.keys.batch(batchId),
        ...this.stateSetKeys(batchId),
      ],
      args: [
        customId,
        state,
        String(ITEM_STATE_RANK[state]),
        options.fromFailed ? "f" : options.force ? "1" : "0",
        RANKS_JSON,
        STATE_NAMES_JSON,
        options.deadline === undefined ? "" : String(options.deadline),
      ],
    };
  }

  async itemState(batchId: string, customId: string): Promise<ItemState | undefined> {
    const value = await this.redis.hget(this.keys.itemStates(batchId), customId);
    return value === null ? undefined : (value as ItemState);
  }

  /**
   * Stores a final item's result, moves it to its final state and updates the finish time, and
   * writes the webhook outbox entries of the transition (see FINISH_SCRIPT). `accountItemEvents`:
   * the item events the account-wide endpoints want (VEOQ_WEBHOOK_URLS / VEOQ_WEBHOOK_EVENTS).
   */
  async finishItem(
    result: ItemResult,
    options: { accountItemEvents?: readonly string[] } = {},
  ): Promise<void> {
    const events = await FINISH_SCRIPT.run(
      this.redis,
      this.finishKeys(result.batchId, this.keys.itemFlaggedFiles(result.batchId)),
      [
        ...finishArgs(result),
        result.files.filter((file) => file.flagged !== undefined).length,
        STATE_NAMES_JSON,
        itemEventsField(options.accountItemEvents ?? []),
        result.batchId,
      ],
    );
    if (Number(events) > 0) await this.batches.markWebhookEvents(result.batchId);
  }

  /**
   * Ends an item that is still `queued` with this final result (`veoq cancel`), state sets and
   * counts kept exact; returns false when it had moved on (a worker took it).
   */
  async finishQueuedItem(result: ItemResult): Promise<boolean> {
    const ended = Number(
      await FINISH_QUEUED_SCRIPT.run(this.redis, this.finishKeys(result.batchId), [
        ...finishArgs(result),
        STATE_NAMES_JSON,
        result.batchId,
      ]),
    );
    if (ended > 0) await this.batches.markWebhookEvents(result.batchId);
    return ended >= 0;
  }

  /**
   * The KEYS of FINISH_SCRIPT and FINISH_QUEUED_SCRIPT: results hash, states hash, batch hash,
   * `between` (FINISH_SCRIPT's flagged-files hash), webhook outbox, state sets.
   */
  private finishKeys(batchId: string, ...between: string[]): string[] {
    return [
      this.keys.itemResults(batchId),
      this.keys.itemStates(batchId),
      this.keys.batch(batchId),
      ...between,
      this.keys.webhookOutbox(batchId),
      ...this.stateSetKeys(batchId),
    ];
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

  /**
   * Fills the state sets of a batch created before they existed (a no-op for newer batches):
   * one HSCAN pass, each chunk placed atomically. Returns true when it had work to do.
   */
  async indexItemStates(batchId: string): Promise<boolean> {
    const key = this.keys.batch(batchId);
    if ((await this.redis.hget(key, STATE_SETS_FIELD)) !== null) return false;
    if ((await this.redis.hexists(key, "createdAt")) === 0) return false;
    const place = (ids: string[]) =>
      INDEX_SCRIPT.run(
        this.redis,
        [this.keys.itemStates(batchId), ...this.stateSetKeys(batchId)],
        [STATE_NAMES_JSON, ...ids],
      );
    let chunk: string[] = [];
    for await (const [customId] of this.scanItemStates(batchId)) {
      chunk.push(customId);
      if (chunk.length >= 1000) {
        await place(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) await place(chunk);
    await this.redis.hset(key, STATE_SETS_FIELD, "1");
    return true;
  }

  private stateSetKeys(batchId: string): string[] {
    return ITEM_STATES.map((state) => this.keys.itemsInState(batchId, state));
  }
}
