import { JOB_ID_SEPARATOR } from "../jobs/job-ids.ts";
import { LuaScript } from "../redis/lua-script.ts";
import { type RecordKeys, recordKeys } from "../redis/record-keys.ts";
import type { RedisConnection } from "../redis/redis-connection.ts";
import { deadlineLua } from "../redis/server-deadline.ts";
import { type EnqueueIncomplete, enqueueIncompleteOf } from "./enqueue-mark.ts";
import type { ItemResult } from "./item-result.ts";
import { ITEM_STATE_RANK, ITEM_STATES, type ItemState } from "./item-state.ts";
import {
  BATCH_WEBHOOK_FIELDS,
  type BatchWebhook,
  EMIT_BATCH_EVENT_LUA,
  itemEventsField,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from "./webhook-outbox.ts";

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
 * redis/server-deadline.ts). Returns 1 when changed, 0 when not, -1 past the deadline.
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
 * An enqueue still adding items to a batch: while one runs, every item registered so far may be
 * final without the batch being complete, so batch.completed waits (`completionDeferred`) for
 * the enqueue's end (END_ENQUEUE_SCRIPT). A marker older than ENQUEUE_MARKER_MAX_AGE_MS is an
 * enqueue that died: running the same enqueue again ends it.
 */
const ENQUEUE_MARKER_MAX_AGE_MS = 3_600_000;
const ENQUEUE_RUNNING_LUA = `
local function enqueueRunning(batchKey, now)
  local running = tonumber(redis.call('HGET', batchKey, 'enqueuing') or '0')
  if running <= 0 then return false end
  local since = tonumber(redis.call('HGET', batchKey, 'enqueuingAt') or '0')
  return tonumber(now) - since < ${ENQUEUE_MARKER_MAX_AGE_MS}
end`;

/** KEYS: batch hash. ARGV: now. Marks one more enqueue running. */
const BEGIN_ENQUEUE_SCRIPT = new LuaScript(`
local since = tonumber(redis.call('HGET', KEYS[1], 'enqueuingAt') or '0')
if tonumber(ARGV[1]) - since >= ${ENQUEUE_MARKER_MAX_AGE_MS} then redis.call('HSET', KEYS[1], 'enqueuing', 0) end
redis.call('HINCRBY', KEYS[1], 'enqueuing', 1)
redis.call('HSET', KEYS[1], 'enqueuingAt', ARGV[1])
return 1
`);

/**
 * Ends one enqueue; when it was the last and it succeeded, writes the batch.completed that
 * finishes deferred while it ran, if the batch is still finished. KEYS: batch hash, webhook
 * outbox. ARGV: now, batch id, "1" when the enqueue succeeded. Returns the outbox entries written.
 */
const END_ENQUEUE_SCRIPT = new LuaScript(`${EMIT_BATCH_EVENT_LUA}
if tonumber(redis.call('HINCRBY', KEYS[1], 'enqueuing', -1)) > 0 then return 0 end
redis.call('HDEL', KEYS[1], 'enqueuing', 'enqueuingAt')
if ARGV[3] ~= '1' or redis.call('HGET', KEYS[1], 'completionDeferred') ~= '1' then return 0 end
redis.call('HDEL', KEYS[1], 'completionDeferred')
if redis.call('HEXISTS', KEYS[1], 'finishedAt') == 0 then return 0 end
emitBatchEvent(KEYS[1], KEYS[2], ARGV[2], 'batch.completed', nil, ARGV[1])
return 1
`);

/**
 * Stores a final item's result, moves it to its final state (forced, counts kept exact) and
 * sets or clears the batch's finish time, and keeps the batch's count of flagged files exact (an
 * item finished again replaces its old count), in one round trip. In the same step it writes the
 * webhook outbox entries of what changed (records/webhook-outbox.ts): item.failed /
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

/** The batch field that says its state sets are complete (set at creation, or by indexItemStates). */
const STATE_SETS_FIELD = "stateSets";

/**
 * KEYS: batch record. ARGV: now, source, state-sets field. Returns the creation time (ms), the
 * first caller's. The batch list is another slot (account-wide), so it is written after this.
 */
const ENSURE_BATCH_SCRIPT = new LuaScript(`
if redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[3], '1')
end
redis.call('HSETNX', KEYS[1], 'source', ARGV[2])
return redis.call('HGET', KEYS[1], 'createdAt')
`);

const STATE_NAMES_JSON = JSON.stringify(ITEM_STATES);

/** The first ARGV of both finish scripts: custom id, result JSON, state, now. */
function finishArgs(result: ItemResult): (string | number)[] {
  return [result.customId, JSON.stringify(result), result.status, result.finishedAt ?? Date.now()];
}

/** Custom ids (and so prefixes of them) use only these characters, all below "{" in byte order. */
const CUSTOM_ID_PREFIX = /^[A-Za-z0-9._-]{1,200}$/;

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
  /** Saved files flagged by VEOQ_VERIFY_OUTPUTS=warn (broken, or not what was asked). */
  flaggedFiles: number;
  /** Items completed with the files of an earlier render of the same request (no create paid). */
  reused: number;
  /** When the last item became final (ms), if every item is final. */
  finishedAt: number | undefined;
  /**
   * Items of this batch wait to reuse the render of another batch that is paused (or was, when
   * they last looked): which batch, why it is paused and since when (ms). Undefined otherwise.
   */
  reuseWait?: ReuseWait | undefined;
  /** An enqueue did not get through the manifest: how far it got (records/enqueue-mark.ts). */
  enqueueIncomplete?: EnqueueIncomplete | undefined;
}

/** This batch's items wait on the renders of `ownerBatchId`, paused for `reason` (see BatchRecord). */
export interface ReuseWait {
  ownerBatchId: string;
  reason: string;
  at: number;
}

function parseReuseWait(raw: string | undefined): ReuseWait | undefined {
  if (raw === undefined) return undefined;
  const [ownerBatchId, reason, at] = raw.split("|");
  if (!ownerBatchId || !reason) return undefined;
  return { ownerBatchId, reason, at: Number(at) || 0 };
}

/** Batch records and item states in Redis. Stateless apart from the connection. */
export class BatchStore {
  readonly keys: RecordKeys;
  readonly redis: RedisConnection;
  /** The key prefix, for the other records of the same deployment (batch control, spend). */
  readonly prefix: string;

  constructor(redis: RedisConnection, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
    this.keys = recordKeys(prefix);
  }

  /**
   * Registers the batch record, then its place in the batch list: two steps, because the record
   * lives under the batch's own hash tag and the list under the account-wide one (no script may
   * span two cluster slots). Each step is idempotent (HSETNX, ZADD NX) and the list entry takes
   * the record's own creation time, so a crash between them leaves a record that the same
   * enqueue, run again, lists with the creation time it already had. Enqueue runs this before any
   * item is written, so no listed batch lacks its record. Only a new batch is marked as keeping
   * state sets (an old one gets them from indexItemStates).
   */
  async ensureBatch(batchId: string, source: string, now: number): Promise<void> {
    const createdAt = await ENSURE_BATCH_SCRIPT.run(
      this.redis,
      [this.keys.batch(batchId)],
      [String(now), source, STATE_SETS_FIELD],
    );
    await this.redis.zadd(this.keys.batches, "NX", String(createdAt ?? now), batchId);
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

  async incrementCounter(
    batchId: string,
    counter: "possibleDuplicates" | "resubmits" | "reused",
    by = 1,
  ): Promise<void> {
    await this.redis.hincrby(this.keys.batch(batchId), counter, by);
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
    if (Number(events) > 0) await this.markWebhookEvents(result.batchId);
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
    if (ended > 0) await this.markWebhookEvents(result.batchId);
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

  /** An enqueue starts adding items: batch.completed waits for its end (see endEnqueue). */
  async beginEnqueue(batchId: string, now: number): Promise<void> {
    await BEGIN_ENQUEUE_SCRIPT.run(this.redis, [this.keys.batch(batchId)], [now]);
  }

  /**
   * An enqueue is done (`succeeded`) or gave up. After the last one, a batch that became
   * finished while it ran gets its batch.completed now (a failed enqueue leaves it to the next).
   */
  async endEnqueue(batchId: string, now: number, succeeded: boolean): Promise<void> {
    const events = await END_ENQUEUE_SCRIPT.run(
      this.redis,
      [this.keys.batch(batchId), this.keys.webhookOutbox(batchId)],
      [now, batchId, succeeded ? "1" : "0"],
    );
    if (Number(events) > 0) await this.markWebhookEvents(batchId);
  }

  /**
   * Stores the batch's webhook (`enqueue --webhook`) on its record: the URL, the events it wants,
   * and the item events the finish script writes to the outbox for it.
   */
  async setWebhook(batchId: string, webhook: BatchWebhook): Promise<void> {
    await this.redis.hset(this.keys.batch(batchId), {
      [BATCH_WEBHOOK_FIELDS.url]: webhook.url,
      [BATCH_WEBHOOK_FIELDS.events]: JSON.stringify(webhook.events),
      [BATCH_WEBHOOK_FIELDS.itemEvents]: itemEventsField(webhook.events),
    });
  }

  /** The batch's own webhook, if it has one. */
  async webhookOf(batchId: string): Promise<BatchWebhook | undefined> {
    const [url, events] = await this.redis.hmget(
      this.keys.batch(batchId),
      BATCH_WEBHOOK_FIELDS.url,
      BATCH_WEBHOOK_FIELDS.events,
    );
    if (url === null || url === undefined) return undefined;
    let list: unknown;
    try {
      list = JSON.parse(events ?? "[]");
    } catch {
      list = [];
    }
    const known = (WEBHOOK_EVENT_TYPES as readonly string[]).filter(
      (t) => Array.isArray(list) && list.includes(t),
    ) as WebhookEventType[];
    return { url, events: known };
  }

  /** The relay's hint that this batch's outbox holds entries (another slot: after the script). */
  private async markWebhookEvents(batchId: string): Promise<void> {
    await this.redis.sadd(this.keys.webhookOutboxBatches, batchId);
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
      flaggedFiles: Number(fields.flaggedFiles ?? 0),
      reused: Number(fields.reused ?? 0),
      finishedAt: fields.finishedAt === undefined ? undefined : Number(fields.finishedAt),
      reuseWait: parseReuseWait(fields.reuseWait),
      enqueueIncomplete: enqueueIncompleteOf(fields),
    };
  }

  /**
   * Records that the batch's items wait on a paused batch's renders (stages/request-reuse.ts);
   * true when this changed the record (a new owner batch or reason), so the caller logs it once.
   */
  async setReuseWait(batchId: string, wait: ReuseWait): Promise<boolean> {
    const key = this.keys.batch(batchId);
    const before = parseReuseWait((await this.redis.hget(key, "reuseWait")) ?? undefined);
    if (before?.ownerBatchId === wait.ownerBatchId && before.reason === wait.reason) return false;
    await this.redis.hset(key, "reuseWait", `${wait.ownerBatchId}|${wait.reason}|${wait.at}`);
    return true;
  }

  /** The batch's items no longer wait on a paused batch. */
  async clearReuseWait(batchId: string): Promise<void> {
    await this.redis.hdel(this.keys.batch(batchId), "reuseWait");
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
    // One command per batch, not a pipeline: each batch is its own cluster slot.
    const replies = await Promise.all(
      ids.map((id) => this.redis.hget(this.keys.itemStates(id), customId)),
    );
    return ids.flatMap((batchId, i) => {
      const state = replies[i];
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

  /**
   * Streams (custom id, state) pairs in the order the items were registered (manifest order),
   * a page at a time. A batch whose order list does not cover every item (written, or partly
   * written, before the list existed) is streamed in the states hash's own order instead.
   */
  async *itemStatesInOrder(batchId: string): AsyncGenerator<[string, ItemState]> {
    const orderKey = this.keys.itemOrder(batchId);
    const statesKey = this.keys.itemStates(batchId);
    const [listed, total] = await Promise.all([
      this.redis.llen(orderKey),
      this.redis.hlen(statesKey),
    ]);
    if (listed < total) {
      yield* this.scanItemStates(batchId);
      return;
    }
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
    const ids = await this.listBatchIds(options.batchLimit);
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
