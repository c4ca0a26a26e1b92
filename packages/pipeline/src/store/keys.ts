import { createHash } from "node:crypto";

/*
 * Every name veoq gives to something in Redis, in one module: the keys of its own records
 * (`recordKeys`), the BullMQ prefix of each queue (`queuePrefix`), the deterministic job ids, and
 * the "<batch>~<custom id>" values naming an item (`itemRef`) or one submission of it
 * (`slotHolder`), all built with the one separator `~` that batch and custom ids cannot hold.
 */

/**
 * Every Redis key of veoq's own records. The account-wide records (batch list, task and request
 * index, credentials stop, provider slots and caps, spend reservations, daily spend, batch
 * control and spend, duration history) live under `prefix` itself (one hash tag, shared with the
 * submit queue, whose limiter key the provider-slot wake-up script joins). The item records of one
 * batch (record, states, results, flagged files, state sets) live under their own tag
 * `{<bare prefix>:b:<batch>}` (see `batchTag`), so a cluster spreads them over its masters. See
 * docs/architecture.md "Redis key layout". BullMQ builds the queues' keys itself. Which Lua
 * scripts touch each key: the table in store/scripts/README.md.
 */
export interface RecordKeys {
  /** Sorted set: batch id by creation time (ms). */
  batches: string;
  /** Hash: the batch record (createdAt, source, counters, `state:<s>` counts). */
  batch(batchId: string): string;
  /** Hash: custom id -> item state. Its length is the batch total. */
  itemStates(batchId: string): string;
  /** Hash: custom id -> JSON result of a final item. */
  itemResults(batchId: string): string;
  /**
   * List: the batch's custom ids in the order they were registered (manifest order; a later
   * enqueue appends its new ones), written by the same script as the states hash, so results
   * can be read in manifest order.
   */
  itemOrder(batchId: string): string;
  /** Hash custom id → files flagged by VEOQ_VERIFY_OUTPUTS=warn, so the batch's count stays exact. */
  itemFlaggedFiles(batchId: string): string;
  /**
   * Sorted set (all scores 0, so ordered by custom id): the batch's items in one state. Kept
   * with the states hash by the same scripts; pages and prefix search read it by range.
   */
  itemsInState(batchId: string, state: string): string;
  /** Hash: provider task id -> item ref "<batch>~<custom id>" (`itemRef`), for search by task id. */
  taskIndex: string;
  /**
   * Hash: request fingerprint (operations/request-fingerprint.ts) -> item ref (`itemRef`) of the
   * item that renders it, so the same request enqueued again under another batch id reuses that
   * render instead of paying twice (store/request-index.ts). One field per rendered request.
   */
  requestIndex: string;
  /**
   * String: the fair-share virtual clock, the turn of the latest item handed a slot
   * (store/fair-share.ts).
   */
  fairShareClock: string;
  /** Hash: batch id -> its priority level ("high", "normal", "low"; store/fair-share.ts). */
  batchPriorities: string;
  /** String: set while the submit queue is paused by a credentials stop; holds the reason. */
  credentialsStop: string;
  /** String: when the credentials stop that holds now began (ms); absent without one. */
  credentialsStopSince: string;
  /** List: ended credentials stops, "start-end" (ms), the newest last (jobs/credentials-stop.ts). */
  credentialsStopTimes: string;
  /**
   * String: set while the download queue is paused because the object store (VEOQ_OUTPUT_URL)
   * refuses the credentials; holds the reason.
   */
  downloadsStop: string;
  /** Hash: a batch's pause or cancel (state, reason, at); absent while it runs. */
  batchControl(batchId: string): string;
  /** Hash: a batch's money: estimate, budget, spent and reserved (micro-units, see spend-ledger.ts). */
  batchSpend(batchId: string): string;
  /** Hash: a batch's per-minute throughput and spend counters (records/batch-timeline.ts). */
  batchTimeline(batchId: string): string;
  /** Hash: money spent and reserved on one UTC day (YYYY-MM-DD) across batches; expires after a week. */
  dailySpend(day: string): string;
  /** Hash: reservation holder ("<batch>~<custom>~<n>") -> "<day>|<micros>". */
  spendReservations: string;
  /** Sorted set: reservation holder by the time it was taken (ms), for reconciliation. */
  spendReservationTimes: string;
  /** Sorted set: slot holder -> when it took the slot (ms), of one provider account. */
  providerSlots(account: string): string;
  /** Hash: `cap` (effective, after AIMD), `max` and the last decrease, of one provider account. */
  providerCap(account: string): string;
  /**
   * String: set while one API key of the pool is stopped (a 401/402 on it), holding the reason;
   * by the key's name (keys/provider-keys.ts), never the key.
   */
  providerKeyStop(name: string): string;
  /** SCAN pattern matching every key stop. */
  providerKeyStopPattern: string;
  /**
   * Sorted set: poll and download jobs ("<role>|<job id>") left by a worker without the API key
   * named `name` that created their task, by when (ms): a worker with the key promotes them
   * (keys/key-hand-off.ts). By the key's name, never the key.
   */
  keyWaits(name: string): string;
  /** Set: every provider account (the short hash of its API key) that has taken a slot. */
  providerAccounts: string;
  /** The duration history of one task shape (see store/duration-history.ts). */
  durationHistory(shape: TaskShapeKey): DurationHistoryKeys;
  /**
   * Hash: webhook event id -> outbox entry (store/webhook-outbox.ts), written by the batch
   * store's scripts in the same step as the transition it reports; emptied by the relay.
   */
  webhookOutbox(batchId: string): string;
  /** Hash: the account-wide outbox (batch.paused from the spend gate and credentials stops). */
  accountWebhookOutbox: string;
  /** String: the counter of the account-wide outbox's event ids. */
  accountWebhookSeq: string;
  /** Set: batch ids whose outbox may hold entries (a hint for the relay; see webhook-outbox.ts). */
  webhookOutboxBatches: string;
  /**
   * Pub/sub channel, not a key: a message (a batch id, or ACCOUNT_OUTBOX_MESSAGE) whenever an
   * outbox got entries, which wakes the relay at once (see webhook-outbox.ts).
   */
  webhookOutboxWake: string;
  /**
   * Sorted set: batch id -> when its latest enqueue run stops counting (ms, an hour after its
   * start): the batches the sweep of dead enqueue runs looks at (store/batches.ts
   * finishDeferredCompletions), so it scans nothing else.
   */
  enqueueRunBatches: string;
  /** Hash: webhook delivery id -> delivery record with its attempts (packages/webhooks). */
  webhookDeliveries(batchId: string): string;
  /** Hash: endpoint key -> why it was disabled (a 410 answer), for every batch of the account. */
  webhookDisabledEndpoints: string;
  /**
   * Sorted set: worker process id -> time of its last heartbeat (ms). Lists the heartbeat
   * records without a SCAN; an id whose record expired is pruned by the reader
   * (store/worker-registry.ts).
   */
  workers: string;
  /** String (JSON, with a TTL the worker refreshes): one worker process's heartbeat record. */
  worker(workerId: string): string;
  /**
   * String (JSON): one HTTP API request made with an `Idempotency-Key`, by caller (token name)
   * and the key's SHA-256: running, or done with its response (packages/api, 24 h).
   */
  apiIdempotency(caller: string, keyHash: string): string;
}

/** The settings a duration history is kept per (store/duration-history.ts `TaskShape`). */
export interface TaskShapeKey {
  model: string;
  durationSeconds: number;
  sampleCount: number;
}

export interface DurationHistoryKeys {
  /** List: sampled render times (provider seconds). */
  samples: string;
  /** String: how many tasks the sample stands for (capped at the window). */
  seen: string;
  /** String "1"/"0", for a day: whether the provider sends `eta` for this shape. */
  eta: string;
}

/** The prefix without hash-tag braces: "{veoq}" -> "veoq". */
export function barePrefix(prefix: string): string {
  return prefix.replace(/[{}]/g, "");
}

/** The hash tag of one batch's item records: every key of it hashes to one cluster slot. */
export function batchTag(prefix: string, batchId: string): string {
  return `{${barePrefix(prefix)}:b:${batchId}}`;
}

/**
 * The record key of one batch in the layout before keys were spread (`<prefix>:batch:<id>`).
 * Only the start-up check reads it, to refuse a Redis that still holds that layout.
 */
export function previousLayoutBatchKey(prefix: string, batchId: string): string {
  return `${prefix}:batch:${batchId}`;
}

export function recordKeys(prefix: string): RecordKeys {
  const tag = (id: string) => batchTag(prefix, id);
  return {
    batches: `${prefix}:batches`,
    batch: (id) => `${tag(id)}:batch`,
    itemStates: (id) => `${tag(id)}:states`,
    itemResults: (id) => `${tag(id)}:results`,
    itemFlaggedFiles: (id) => `${tag(id)}:flagged`,
    itemOrder: (id) => `${tag(id)}:order`,
    itemsInState: (id, state) => `${tag(id)}:in:${state}`,
    credentialsStop: `${prefix}:credentials-stop`,
    credentialsStopSince: `${prefix}:credentials-stop-since`,
    credentialsStopTimes: `${prefix}:credentials-stop-times`,
    downloadsStop: `${prefix}:downloads-stop`,
    batchControl: (id) => `${prefix}:batch:${id}:control`,
    batchSpend: (id) => `${prefix}:batch:${id}:spend`,
    batchTimeline: (id) => `${prefix}:batch:${id}:timeline`,
    dailySpend: (day) => `${prefix}:daily-spend:${day}`,
    spendReservations: `${prefix}:spend-reservations`,
    spendReservationTimes: `${prefix}:spend-reservation-times`,
    taskIndex: `${prefix}:task-index`,
    requestIndex: `${prefix}:request-index`,
    fairShareClock: `${prefix}:fair-clock`,
    batchPriorities: `${prefix}:batch-priority`,
    providerSlots: (account) => `${prefix}:provider-slots:${account}`,
    providerCap: (account) => `${prefix}:provider-cap:${account}`,
    providerKeyStop: (name) => `${prefix}:provider-key-stop:${name}`,
    providerKeyStopPattern: `${prefix}:provider-key-stop:*`,
    keyWaits: (name) => `${prefix}:key-waits:${name}`,
    providerAccounts: `${prefix}:provider-accounts`,
    webhookOutbox: (id) => `${tag(id)}:webhook-outbox`,
    accountWebhookOutbox: `${prefix}:webhook-outbox`,
    accountWebhookSeq: `${prefix}:webhook-seq`,
    webhookOutboxBatches: `${prefix}:webhook-outbox-batches`,
    webhookOutboxWake: `${prefix}:webhook-outbox-wake`,
    enqueueRunBatches: `${prefix}:enqueue-run-batches`,
    webhookDeliveries: (id) => `${tag(id)}:webhook-deliveries`,
    webhookDisabledEndpoints: `${prefix}:webhook-disabled`,
    workers: `${prefix}:workers`,
    worker: (id) => `${prefix}:worker:${id}`,
    durationHistory: (shape) => {
      const samples = durationHistoryKey(prefix, shape);
      return { samples, seen: `${samples}:seen`, eta: `${samples}:eta` };
    },
    apiIdempotency: (caller, keyHash) => `${prefix}:api-idempotency:${caller}:${keyHash}`,
  };
}

/** One item of one batch, as the task and request indexes name it (see `itemRef`). */
export interface ItemRef {
  batchId: string;
  customId: string;
}

/**
 * Between batch id, custom id and the rest of a job id, item ref or slot holder. Batch ids and
 * custom ids are restricted to [A-Za-z0-9._-], so `~` can never appear inside them and the ids
 * cannot collide.
 */
export const JOB_ID_SEPARATOR = "~";

/** The value naming an item in the task and request indexes: "<batch>~<custom id>". */
export function itemRef(item: ItemRef): string {
  return `${item.batchId}${JOB_ID_SEPARATOR}${item.customId}`;
}

/**
 * The item an item ref names; the first "~" splits batch from custom id (batch ids have none).
 * Undefined for a value that is not an item ref.
 */
export function parseItemRef(value: string): ItemRef | undefined {
  const at = value.indexOf(JOB_ID_SEPARATOR);
  if (at <= 0) return undefined;
  return { batchId: value.slice(0, at), customId: value.slice(at + 1) };
}

/** The account part of the provider slot keys: a short hash of the API key, never the key itself. */
export function providerAccountOf(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("hex").slice(0, 12);
}

/**
 * Key of the list of past durations of one task shape: render times (provider timestamps or
 * estimates, see `finishedTaskSeconds`).
 */
export function durationHistoryKey(prefix: string, shape: TaskShapeKey): string {
  return `${prefix}:duration-history:v2:${shape.model}:${shape.durationSeconds}s:x${shape.sampleCount}`;
}

/** The three queues of the pipeline, in the order an item passes through them. */
export const QUEUE_NAMES = {
  submit: "submit",
  poll: "poll",
  download: "download",
} as const;

export type QueueRole = keyof typeof QUEUE_NAMES;
export const QUEUE_ROLES = Object.keys(QUEUE_NAMES) as readonly QueueRole[];

/**
 * The BullMQ prefix of one queue. The submit queue keeps `prefix` itself, the hash tag of the
 * account-wide records: the provider-slot scripts wake it through its limiter key, so they must
 * share a slot. Poll and download each get their own tag (`{<bare prefix>:poll}`), so a cluster
 * spreads the queues over its masters; BullMQ keeps every key of one queue in one slot.
 */
export function queuePrefix(prefix: string, role: QueueRole): string {
  return role === "submit" ? prefix : `{${barePrefix(prefix)}:${QUEUE_NAMES[role]}}`;
}

/*
 * Deterministic job ids (built with JOB_ID_SEPARATOR, above). BullMQ ignores an add whose id
 * exists, which makes every hand-off idempotent: a retried step re-adds the same id and nothing
 * doubles.
 */

/** Id of the submit job of an item's n-th submission (0 = from the manifest). */
export function submitJobId(batchId: string, customId: string, submission: number): string {
  const base = `${batchId}${JOB_ID_SEPARATOR}${customId}`;
  return submission === 0 ? base : `${base}${JOB_ID_SEPARATOR}s${submission}`;
}

/** Id of the poll job that follows the n-th submission's task. */
export function pollJobId(batchId: string, customId: string, submission: number): string {
  return `${batchId}${JOB_ID_SEPARATOR}${customId}${JOB_ID_SEPARATOR}p${submission}`;
}

/** Id of the download job of the n-th submission's task. */
export function downloadJobId(batchId: string, customId: string, submission: number): string {
  return `${batchId}${JOB_ID_SEPARATOR}${customId}${JOB_ID_SEPARATOR}d${submission}`;
}

/** A provider slot holder (store/provider-slots.ts): the item's submission, "<batch>~<custom>~<n>". */
export function slotHolder(batchId: string, customId: string, submission: number): string {
  return `${batchId}${JOB_ID_SEPARATOR}${customId}${JOB_ID_SEPARATOR}${submission}`;
}

/** The submission a slot holder names; undefined when it is not one of ours. */
export function submissionOfSlotHolder(
  holder: string,
): { batchId: string; customId: string; submission: number } | undefined {
  const parts = holder.split(JOB_ID_SEPARATOR);
  const [batchId, customId, submissionText] = parts;
  const submission = Number(submissionText);
  if (parts.length !== 3 || !batchId || !customId || !Number.isInteger(submission)) {
    return undefined;
  }
  return { batchId, customId, submission };
}

/** Batch ids share the custom id alphabet: they name folders in the output dir. */
export const BATCH_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export function isValidBatchId(value: string): boolean {
  return BATCH_ID_PATTERN.test(value) && value !== "." && value !== "..";
}
