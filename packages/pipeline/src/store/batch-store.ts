import { BatchControl } from "./batch-control.ts";
import { BatchTimeline } from "./batch-timeline.ts";
import { Batches } from "./batches.ts";
import type { RedisConnection } from "./connection/redis-connection.ts";
import { DurationHistory } from "./duration-history.ts";
import { FairShare } from "./fair-share.ts";
import { ItemPages } from "./item-pages.ts";
import { ItemStates } from "./item-states.ts";
import { KeyReservations, type KeyReservationsOptions } from "./key-reservations.ts";
import { type RecordKeys, recordKeys } from "./keys.ts";
import {
  ProviderRate,
  type ProviderRateOptions,
  ProviderSlots,
  type ProviderSlotsOptions,
} from "./provider-slots.ts";
import { RequestIndex } from "./request-index.ts";
import { SpendLedger } from "./spend-ledger.ts";
import { defineStoreScripts } from "./store-scripts.ts";
import { TaskIndex } from "./task-index.ts";
import { WebhookOutbox } from "./webhook-outbox.ts";
import { WorkerRegistry } from "./worker-registry.ts";

export type { BatchRecord, KeyWait, ReuseWait } from "./batches.ts";
export { type TransitionOptions, WriteDeadlineError } from "./item-states.ts";

/**
 * Every record of veoq in Redis, built once per process by `openStore` (below) and
 * handed to the workers, CLI, dashboard, API and metrics. The batch records and item states are
 * one object over the modules that hold them by verb: batches.ts (the batch records),
 * item-states.ts (moving items between states), item-pages.ts (reading items a page at a
 * time), task-index.ts (provider task -> item), batch-timeline.ts (throughput and spend per minute,
 * for charts); each method below is the module's own. The
 * other records are its fields (control, spend, requests, ...). Stateless apart from the
 * connection (and the duration history's short cache).
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
  /** Pause, resume and cancel of each batch. */
  readonly control: BatchControl;
  /** Each batch's and each day's money. */
  readonly spend: SpendLedger;
  /** Which item renders each distinct request. */
  readonly requests: RequestIndex;
  /** The fair-share clock and each batch's priority level. */
  readonly fairShare: FairShare;
  /** Past render times per task shape. */
  readonly durationHistory: DurationHistory;
  /** The webhook outboxes (the relay's side). */
  readonly webhookOutbox: WebhookOutbox;
  /** The worker processes' heartbeats. */
  readonly workers: WorkerRegistry;
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
    this.control = new BatchControl(redis, prefix);
    this.spend = new SpendLedger(redis, prefix);
    this.requests = new RequestIndex(redis, prefix);
    this.fairShare = new FairShare(redis, prefix);
    this.durationHistory = new DurationHistory(redis, prefix);
    this.webhookOutbox = new WebhookOutbox(redis, prefix);
    this.workers = new WorkerRegistry(redis, prefix);
  }

  /** The in-flight slots of one provider account (API key). */
  providerSlots(options: Omit<ProviderSlotsOptions, "redis" | "prefix">): ProviderSlots {
    return new ProviderSlots({ ...options, redis: this.redis, prefix: this.prefix });
  }

  /** The reservations on one API key's daily budget (key-reservations.ts). */
  keyReservations(options: Omit<KeyReservationsOptions, "redis" | "prefix">): KeyReservations {
    return new KeyReservations({ ...options, redis: this.redis, prefix: this.prefix });
  }

  /** The create pacing of one provider account (API key). */
  providerRate(options: Omit<ProviderRateOptions, "redis" | "prefix">): ProviderRate {
    return new ProviderRate({ ...options, redis: this.redis, prefix: this.prefix });
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
  finishDeferredCompletions(...a: Parameters<Batches["finishDeferredCompletions"]>) {
    return this.batches.finishDeferredCompletions(...a);
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
  setKeyWait(...a: Parameters<Batches["setKeyWait"]>) {
    return this.batches.setKeyWait(...a);
  }
  clearKeyWait(...a: Parameters<Batches["clearKeyWait"]>) {
    return this.batches.clearKeyWait(...a);
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

/** What the store needs from the configuration. */
export interface StoreConfig {
  /** VEOQ_PREFIX: the key prefix (and hash tag) of the deployment's records. */
  prefix: string;
}

/**
 * The store of one process: every record of the deployment on this connection, with the Lua
 * scripts defined on it. Built once per process (workers, CLI, dashboard, API, metrics) and
 * handed to whatever reads or writes a record; nothing else constructs one.
 */
export function openStore(connection: RedisConnection, config: StoreConfig): BatchStore {
  defineStoreScripts(connection);
  return new BatchStore(connection, config.prefix);
}
