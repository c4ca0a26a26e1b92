import type { ProviderErrorKind } from "@veoq/provider-client";
import { z } from "zod";
import type { BatchTimeline } from "./batch-timeline.ts";
import type { Batches } from "./batches.ts";
import type { RedisConnection } from "./connection/redis-connection.ts";
import type { QueueRole, RecordKeys } from "./keys.ts";
import { runStoreScript } from "./store-scripts.ts";
import { itemEventsField } from "./webhook-outbox.ts";

/*
 * An item in the batch store: where it is (its state, which only moves forward by rank), the
 * moves between states, and how it ended (its final record, `ItemResult`, written by the same
 * script as its final state).
 */

/**
 * Where an item is in the pipeline, as shown by `veoq status`. States only move forward (by
 * rank) unless a transition is forced, so a step that runs again after a crash or a stall cannot
 * drag an item back to an earlier state.
 */
export const ITEM_STATES = [
  "queued",
  "processing",
  "downloading",
  "completed",
  "failed",
  "cancelled",
] as const;
export type ItemState = (typeof ITEM_STATES)[number];

export const ITEM_STATE_RANK: Readonly<Record<ItemState, number>> = {
  queued: 0,
  processing: 1,
  downloading: 2,
  completed: 3,
  failed: 3,
  /** `veoq cancel`: the item was never created (or, with --drop-in-flight, no longer followed). */
  cancelled: 3,
};

export function isFinalState(state: ItemState): boolean {
  return state === "completed" || state === "failed" || state === "cancelled";
}

/** One saved output file of an item: in its final record and in its download job's data. */
export const savedFileSchema = z.object({
  index: z.number().int().nonnegative(),
  /** Relative to the output dir (or to the bucket prefix). */
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
  /** What the file is, read from its container (absent when VEOQ_VERIFY_OUTPUTS=off). */
  durationSeconds: z.number().optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  codecs: z.array(z.string()).optional(),
  audio: z.boolean().optional(),
  /** With VEOQ_VERIFY_OUTPUTS=warn: how the saved file differs from the request, or why it is broken. */
  flagged: z.array(z.string()).optional(),
  /** Where the file is: `s3://bucket/key` or `file:///abs/path`. Absent in files saved by older code. */
  uri: z.string().max(2048).optional(),
});
export type SavedFile = z.infer<typeof savedFileSchema>;

/**
 * What went wrong with an item, in words a worker switches on and a person can act on: a provider
 * failure's kind, or one of the pipeline's own kinds.
 */
export type ItemErrorKind =
  | ProviderErrorKind
  /** A local image of the manifest line could not be read. */
  | "invalid_input"
  /** The provider reported the task as failed. */
  | "task_failed"
  /** The task was not final by the poll deadline. */
  | "timeout"
  /** A saved file is not a complete video (cut off, or not an MP4): VEOQ_VERIFY_OUTPUTS. */
  | "output_invalid"
  /** A saved video's duration, size or audio is not what the request asked. */
  | "output_mismatch"
  /** An error no processor foresaw (a bug, a full disk, an unusable output dir). */
  | "internal"
  /** `veoq cancel` ended the item before its task was created (or stopped following it). */
  | "cancelled";

/** The stage (queue) an item failed at. */
export type ItemStage = QueueRole;

/** One line of `veoq results`: the final record of an item. */
export interface ItemResult {
  batchId: string;
  customId: string;
  model: string;
  status: "completed" | "failed" | "cancelled";
  taskIds: string[];
  /**
   * The name of the API key that created its last task (keys/provider-keys.ts; never the key):
   * an item that adopts the task (stages/request-reuse.ts) polls and downloads it with that key.
   * Absent: the first key of the process that created it (or no task).
   */
  keyName?: string | undefined;
  /** That key's account id (its name or short hash, never the key): its slot is freed by it. */
  keyAccount?: string | undefined;
  files: SavedFile[];
  errorKind: ItemErrorKind | undefined;
  errorMessage: string | undefined;
  /** Where the item failed, so `veoq retry` knows what to re-run. */
  failedStage: ItemStage | undefined;
  failedJobId: string | undefined;
  submission: number;
  submitAttempts: number;
  polls: number;
  enqueuedAt: number;
  submittedAt: number | undefined;
  finishedAt: number | undefined;
  metadata: Record<string, unknown> | undefined;
  /** The item whose render this one reused (same request, no task of its own); absent otherwise. */
  reusedFrom?: { batchId: string; customId: string } | undefined;
}

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
  private readonly timeline: BatchTimeline;

  constructor(redis: RedisConnection, keys: RecordKeys, batches: Batches, timeline: BatchTimeline) {
    this.redis = redis;
    this.keys = keys;
    this.batches = batches;
    this.timeline = timeline;
  }

  async hasItems(batchId: string, customIds: readonly string[]): Promise<boolean[]> {
    if (customIds.length === 0) return [];
    const values = await this.redis.hmget(this.keys.itemStates(batchId), ...customIds);
    return values.map((v) => v !== null);
  }

  /** Marks items queued unless present; returns the custom ids that were new. */
  async registerItems(batchId: string, customIds: readonly string[]): Promise<string[]> {
    if (customIds.length === 0) return [];
    return (await runStoreScript(
      this.redis,
      "registerItems",
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
    const changed = await runStoreScript(this.redis, "transitionItem", keys, args);
    if (changed === -1) throw new WriteDeadlineError();
    return changed === 1;
  }

  /** The KEYS and ARGV of transitionItem.lua for one item. */
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
   * writes the webhook outbox entries of the transition (see finishItem.lua). `accountItemEvents`:
   * the item events the account-wide endpoints want (VEOQ_WEBHOOK_URLS / VEOQ_WEBHOOK_EVENTS).
   */
  async finishItem(
    result: ItemResult,
    options: { accountItemEvents?: readonly string[] } = {},
  ): Promise<void> {
    const events = await runStoreScript(
      this.redis,
      "finishItem",
      this.finishKeys(result.batchId, this.keys.itemFlaggedFiles(result.batchId)),
      [
        ...finishArgs(result),
        result.files.filter((file) => file.flagged !== undefined).length,
        STATE_NAMES_JSON,
        itemEventsField(options.accountItemEvents ?? []),
        result.batchId,
        this.keys.webhookOutboxWake,
      ],
    );
    if (Number(events) > 0) await this.batches.markWebhookEvents(result.batchId);
    if (result.status !== "cancelled") {
      await this.timeline.countFinished(
        result.batchId,
        result.status,
        result.finishedAt ?? Date.now(),
      );
    }
  }

  /**
   * Ends an item that is still `queued` with this final result (`veoq cancel`), state sets and
   * counts kept exact; returns false when it had moved on (a worker took it).
   */
  async finishQueuedItem(result: ItemResult): Promise<boolean> {
    const ended = Number(
      await runStoreScript(this.redis, "finishQueuedItem", this.finishKeys(result.batchId), [
        ...finishArgs(result),
        STATE_NAMES_JSON,
        result.batchId,
        this.keys.webhookOutboxWake,
      ]),
    );
    if (ended > 0) await this.batches.markWebhookEvents(result.batchId);
    return ended >= 0;
  }

  /**
   * The KEYS of finishItem.lua and finishQueuedItem.lua: results hash, states hash, batch hash,
   * `between` (finishItem.lua's flagged-files hash), webhook outbox, state sets.
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

  private stateSetKeys(batchId: string): string[] {
    return ITEM_STATES.map((state) => this.keys.itemsInState(batchId, state));
  }
}
