import { BatchTimeline } from "./batch-timeline.ts";
import { Batches } from "./batches.ts";
import type { RedisConnection } from "./connection/redis-connection.ts";
import { ItemPages } from "./item-pages.ts";
import { ItemStates } from "./item-states.ts";
import { type RecordKeys, recordKeys } from "./keys.ts";
import { TaskIndex } from "./task-index.ts";

export type { BatchRecord, ReuseWait } from "./batches.ts";
export { type TransitionOptions, WriteDeadlineError } from "./item-states.ts";

/**
 * Batch records and item states in Redis, one object over the modules that hold them by verb:
 * batches.ts (the batch records), item-states.ts (moving items between states), item-pages.ts
 * (reading items a page at a time), task-index.ts (provider task -> item), batch-timeline.ts
 * (throughput and spend per minute, for charts). Each method below is
 * the module's own. Stateless apart from the connection.
 */
export class BatchStore {
  readonly keys: RecordKeys;
  readonly redis: RedisConnection;
  /** The key prefix, for the other records of the same deployment (batch control, spend). */
  readonly prefix: string;
  readonly batches: Batches;
  readonly states: ItemStates;
  readonly pages: ItemPages;
  readonly tasks: TaskIndex;
  /** Throughput over time, for charts (batch-timeline.ts). */
  readonly timeline: BatchTimeline;

  constructor(redis: RedisConnection, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
    this.keys = recordKeys(prefix);
    this.batches = new Batches(redis, this.keys);
    this.timeline = new BatchTimeline(redis, prefix);
    this.states = new ItemStates(redis, this.keys, this.batches, this.timeline);
    this.pages = new ItemPages(redis, this.keys, this.batches);
    this.tasks = new TaskIndex(redis, this.keys);
  }

  // Batches (batches.ts)
  ensureBatch(...a: Parameters<Batches["ensureBatch"]>) {
    return this.batches.ensureBatch(...a);
  }
  listBatchIds(...a: Parameters<Batches["listBatchIds"]>) {
    return this.batches.listBatchIds(...a);
  }
  getBatch(...a: Parameters<Batches["getBatch"]>) {
    return this.batches.getBatch(...a);
  }
  incrementCounter(...a: Parameters<Batches["incrementCounter"]>) {
    return this.batches.incrementCounter(...a);
  }
  clearFinished(...a: Parameters<Batches["clearFinished"]>) {
    return this.batches.clearFinished(...a);
  }
  beginEnqueue(...a: Parameters<Batches["beginEnqueue"]>) {
    return this.batches.beginEnqueue(...a);
  }
  endEnqueue(...a: Parameters<Batches["endEnqueue"]>) {
    return this.batches.endEnqueue(...a);
  }
  setWebhook(...a: Parameters<Batches["setWebhook"]>) {
    return this.batches.setWebhook(...a);
  }
  webhookOf(...a: Parameters<Batches["webhookOf"]>) {
    return this.batches.webhookOf(...a);
  }
  setReuseWait(...a: Parameters<Batches["setReuseWait"]>) {
    return this.batches.setReuseWait(...a);
  }
  clearReuseWait(...a: Parameters<Batches["clearReuseWait"]>) {
    return this.batches.clearReuseWait(...a);
  }

  // Item states (item-states.ts)
  hasItems(...a: Parameters<ItemStates["hasItems"]>) {
    return this.states.hasItems(...a);
  }
  registerItems(...a: Parameters<ItemStates["registerItems"]>) {
    return this.states.registerItems(...a);
  }
  transition(...a: Parameters<ItemStates["transition"]>) {
    return this.states.transition(...a);
  }
  itemState(...a: Parameters<ItemStates["itemState"]>) {
    return this.states.itemState(...a);
  }
  finishItem(...a: Parameters<ItemStates["finishItem"]>) {
    return this.states.finishItem(...a);
  }
  finishQueuedItem(...a: Parameters<ItemStates["finishQueuedItem"]>) {
    return this.states.finishQueuedItem(...a);
  }
  scanItemStates(...a: Parameters<ItemStates["scanItemStates"]>) {
    return this.states.scanItemStates(...a);
  }

  // Item pages (item-pages.ts)
  itemResult(...a: Parameters<ItemPages["itemResult"]>) {
    return this.pages.itemResult(...a);
  }
  itemResults(...a: Parameters<ItemPages["itemResults"]>) {
    return this.pages.itemResults(...a);
  }
  itemStatesInOrder(...a: Parameters<ItemPages["itemStatesInOrder"]>) {
    return this.pages.itemStatesInOrder(...a);
  }
  listItems(...a: Parameters<ItemPages["listItems"]>) {
    return this.pages.listItems(...a);
  }
  findCustomId(...a: Parameters<ItemPages["findCustomId"]>) {
    return this.pages.findCustomId(...a);
  }
  findCustomIdPrefix(...a: Parameters<ItemPages["findCustomIdPrefix"]>) {
    return this.pages.findCustomIdPrefix(...a);
  }

  // Task index (task-index.ts)
  indexTask(...a: Parameters<TaskIndex["indexTask"]>) {
    return this.tasks.indexTask(...a);
  }
  findTask(...a: Parameters<TaskIndex["findTask"]>) {
    return this.tasks.findTask(...a);
  }
}
