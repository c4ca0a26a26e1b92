import { randomUUID } from "node:crypto";
import type { RedisConnection } from "./connection/redis-connection.ts";
import { ITEM_STATES, type ItemState } from "./item-states.ts";
import { type RecordKeys, recordKeys } from "./keys.ts";
import { runStoreScript } from "./store-scripts.ts";
import {
  BATCH_WEBHOOK_FIELDS,
  type BatchWebhook,
  itemEventsField,
  markOutboxPending,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from "./webhook-outbox.ts";

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
  /**
   * Tasks of this batch wait for a worker that holds the API key that created them (the last
   * worker to leave one lacked it; stages/pipeline-context.ts): which key (by name), which stage, when.
   */
  keyWait?: KeyWait | undefined;
  /** An enqueue did not get through the manifest: how far it got (store/batches.ts). */
  enqueueIncomplete?: EnqueueIncomplete | undefined;
}

/** This batch's items wait on the renders of `ownerBatchId`, paused for `reason` (see BatchRecord). */
export interface ReuseWait {
  ownerBatchId: string;
  reason: string;
  at: number;
}

/** A poll or download of this batch was left by a worker without the task's API key (see BatchRecord). */
export interface KeyWait {
  /** The key's name (never the key). */
  key: string;
  role: "poll" | "download";
  at: number;
}

function parseKeyWait(raw: string | undefined): KeyWait | undefined {
  if (raw === undefined) return undefined;
  const [role, at, ...name] = raw.split("|");
  if ((role !== "poll" && role !== "download") || name.length === 0) return undefined;
  return { key: name.join("|"), role, at: Number(at) || 0 };
}

function parseReuseWait(raw: string | undefined): ReuseWait | undefined {
  if (raw === undefined) return undefined;
  const [ownerBatchId, reason, at] = raw.split("|");
  if (!ownerBatchId || !reason) return undefined;
  return { ownerBatchId, reason, at: Number(at) || 0 };
}

/**
 * The batch records (item-states.ts moves the items): creation and the batch list, counters,
 * enqueues in progress, the batch's webhook, the reuse wait. Stateless apart from the connection.
 */
export class Batches {
  readonly redis: RedisConnection;
  readonly keys: RecordKeys;

  constructor(redis: RedisConnection, keys: RecordKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  /**
   * Registers the batch record, then its place in the batch list: two steps, because the record
   * lives under the batch's own hash tag and the list under the account-wide one (no script may
   * span two cluster slots). Each step is idempotent (HSETNX, ZADD NX) and the list entry takes
   * the record's own creation time, so a crash between them leaves a record that the same
   * enqueue, run again, lists with the creation time it already had. Enqueue runs this before any
   * item is written, so no listed batch lacks its record.
   */
  async ensureBatch(batchId: string, source: string, now: number): Promise<void> {
    const createdAt = await runStoreScript(
      this.redis,
      "ensureBatchRecord",
      [this.keys.batch(batchId)],
      [String(now), source],
    );
    await this.redis.zadd(this.keys.batches, "NX", String(createdAt ?? now), batchId);
  }

  /** Batch ids, newest first. */
  async listBatchIds(limit = 1000): Promise<string[]> {
    return this.redis.zrevrange(this.keys.batches, 0, limit - 1);
  }

  async incrementCounter(
    batchId: string,
    counter: "possibleDuplicates" | "resubmits" | "reused",
    by = 1,
  ): Promise<void> {
    await this.redis.hincrby(this.keys.batch(batchId), counter, by);
  }

  /**
   * An enqueue run starts adding items: batch.completed waits for its end (see endEnqueue).
   * Returns the run's id, for its endEnqueue. The batch goes on the enqueue-run watch first, due
   * when the run stops counting (ENQUEUE_RUN_MAX_AGE_MS after its start), so a run that dies
   * before its end is found by the sweep (finishDeferredCompletions). Watch first, run second:
   * a sweep that reads the watch before this write finds the batch due only if no later run was
   * watched, and one that reads it after finds it not due yet, so no registered run is ever left
   * unwatched (the watch is account-wide, the runs under the batch's tag: two steps).
   */
  async beginEnqueue(batchId: string, now: number): Promise<string> {
    const runId = randomUUID();
    await this.redis.zadd(
      this.keys.enqueueRunBatches,
      "GT",
      String(now + ENQUEUE_RUN_MAX_AGE_MS),
      batchId,
    );
    await runStoreScript(this.redis, "beginEnqueue", [this.keys.batch(batchId)], [now, runId]);
    return runId;
  }

  /**
   * An enqueue run (`runId` from beginEnqueue) is done, interrupted or failed. A batch that
   * became finished while it ran, or while its manifest was only partly in (EnqueueMark), gets
   * its finish time now once the manifest is all in (no mark), and its batch.completed once no
   * other run counts; a run that leaves the mark leaves them to the run that completes it.
   */
  async endEnqueue(batchId: string, runId: string, now: number): Promise<void> {
    const events = await runStoreScript(
      this.redis,
      "endEnqueue",
      [this.keys.batch(batchId), this.keys.webhookOutbox(batchId), this.keys.itemStates(batchId)],
      [now, batchId, runId, this.keys.webhookOutboxWake],
    );
    if (Number(events) > 0) await this.markWebhookEvents(batchId);
  }

  /**
   * The sweep for enqueue runs that died (run by every worker process with the poll role, at
   * start and every 30 s): for each batch on the enqueue-run watch whose latest run stopped counting by `now`,
   * one script (finishDeferredCompletion.lua) drops the dead runs and, with none left, writes the
   * batch.completed that no run's end could (exactly once: the script clears the deferral it
   * writes for). A batch with runs still counting stays watched until they stop. Returns the
   * batches it wrote batch.completed for.
   */
  async finishDeferredCompletions(now: number, limit = 1000): Promise<string[]> {
    const due = await this.redis.zrangebyscore(
      this.keys.enqueueRunBatches,
      "-inf",
      now,
      "WITHSCORES",
      "LIMIT",
      0,
      limit,
    );
    const finished: string[] = [];
    for (let i = 0; i + 1 < due.length; i += 2) {
      const batchId = due[i] as string;
      const score = due[i + 1] as string;
      const [events, until] = (await runStoreScript(
        this.redis,
        "finishDeferredCompletion",
        [this.keys.batch(batchId), this.keys.webhookOutbox(batchId), this.keys.itemStates(batchId)],
        [now, batchId, this.keys.webhookOutboxWake],
      )) as [number, number];
      if (Number(events) > 0) {
        await this.markWebhookEvents(batchId);
        finished.push(batchId);
      }
      if (Number(until) > 0) {
        await this.redis.zadd(this.keys.enqueueRunBatches, "GT", String(until), batchId);
      } else {
        await runStoreScript(
          this.redis,
          "forgetEnqueueRunBatch",
          [this.keys.enqueueRunBatches],
          [batchId, score],
        );
      }
    }
    return finished;
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

  /**
   * The relay's hint that this batch's outbox holds entries, and its wake-up message (another
   * slot: after the script; webhook-outbox.ts markOutboxPending).
   */
  async markWebhookEvents(batchId: string): Promise<void> {
    await markOutboxPending(this.redis, this.keys, batchId);
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
      keyWait: parseKeyWait(fields.keyWait),
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

  /**
   * Records that a task of the batch was left by a worker without its API key (or refreshes when);
   * true when the key or stage changed, so the caller logs it once.
   */
  async setKeyWait(batchId: string, wait: KeyWait): Promise<boolean> {
    const key = this.keys.batch(batchId);
    const before = parseKeyWait((await this.redis.hget(key, "keyWait")) ?? undefined);
    await this.redis.hset(key, "keyWait", `${wait.role}|${wait.at}|${wait.key}`);
    return before?.key !== wait.key || before.role !== wait.role;
  }

  /** A worker with the key `name` took the batch's waiting task: the wait on that key is over. */
  async clearKeyWait(batchId: string, name: string): Promise<void> {
    const key = this.keys.batch(batchId);
    const before = parseKeyWait((await this.redis.hget(key, "keyWait")) ?? undefined);
    if (before?.key === name) await this.redis.hdel(key, "keyWait");
  }

  /** The batch's items no longer wait on a paused batch. */
  async clearReuseWait(batchId: string): Promise<void> {
    await this.redis.hdel(this.keys.batch(batchId), "reuseWait");
  }
}

/**
 * "enqueue incomplete: N of M lines": how far an enqueue of the batch got that did not reach the
 * end of its manifest (interrupted, Redis lost, the process killed). Kept in the batch record's
 * hash (fields below) from the start of an enqueue's adding phase; each chunk written raises N;
 * only an enqueue that went through every line removes it. So a batch whose manifest is only
 * partly in says so (status, --json, the API, the dashboard) until the same enqueue, run again,
 * completes; until then it is not finished either (no `finishedAt`, no batch.completed webhook,
 * however many of its items are final): the completing enqueue's end stamps and emits them.
 */
export interface EnqueueIncomplete {
  /** Manifest lines (non-blank) the enqueue got through: their items are in the batch. */
  lines: number;
  /** Non-blank lines of the manifest. */
  totalLines: number;
}

/**
 * Field names, also in scripts/raiseEnqueueMark.lua and scripts/includes/enqueueRunning.lua
 * (while the mark is there, the batch is not finished: no finish time, no batch.completed).
 */
const LINES_FIELD = "enqueueLines";
const TOTAL_FIELD = "enqueueTotalLines";

/** Reads the mark from a batch record's fields (BatchStore.getBatch); undefined when complete. */
export function enqueueIncompleteOf(
  fields: Record<string, string | undefined>,
): EnqueueIncomplete | undefined {
  const lines = Number(fields[LINES_FIELD]);
  const totalLines = Number(fields[TOTAL_FIELD]);
  if (fields[TOTAL_FIELD] === undefined || !Number.isInteger(lines)) return undefined;
  if (!Number.isInteger(totalLines) || totalLines < 0) return undefined;
  return { lines: Math.min(Math.max(0, lines), totalLines), totalLines };
}

/**
 * How long an enqueue run counts after its start (1 hour): a run not ended by then died (killed,
 * Redis lost). Also in scripts/includes/enqueueRunning.lua (ENQUEUE_RUN_MAX_AGE_MS).
 */
export const ENQUEUE_RUN_MAX_AGE_MS = 3_600_000;

/** Writes and removes one batch's enqueue mark. */
export class EnqueueMark {
  private readonly redis: RedisConnection;
  private readonly key: string;

  constructor(redis: RedisConnection, prefix: string, batchId: string) {
    this.redis = redis;
    this.key = recordKeys(prefix).batch(batchId);
  }

  /**
   * An enqueue of `totalLines` lines starts adding: the batch is incomplete until `complete`.
   * A mark left by an earlier run keeps the lines it counted (this run re-checks them).
   */
  async begin(totalLines: number): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key, TOTAL_FIELD, String(totalLines))
      .hsetnx(this.key, LINES_FIELD, "0")
      .exec();
  }

  /** The first `lines` lines of the manifest are in the batch. */
  async reached(lines: number): Promise<void> {
    await runStoreScript(this.redis, "raiseEnqueueMark", [this.key], [lines]);
  }

  /** Every line of the manifest is in: the batch is no longer marked incomplete. */
  async complete(): Promise<void> {
    await this.redis.hdel(this.key, LINES_FIELD, TOTAL_FIELD);
  }
}
