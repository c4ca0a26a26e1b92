import type { Logger } from "@veoq/logging";
import {
  type BatchStore,
  EVERY_OPEN_BATCH,
  type OutboxEntry,
  type SpendLedger,
  type WebhookEventType,
  type WebhookOutbox,
} from "@veoq/pipeline";
import type { PricesInUse } from "@veoq/report";
import type { Queue } from "bullmq";
import { buildWebhookEvent } from "./build-webhook-event.ts";
import type { DeliveryLog } from "./delivery-log.ts";
import {
  type DeliveryJobData,
  deliveryIdOf,
  KEEP_COMPLETED_SECONDS,
  KEEP_FAILED_SECONDS,
  webhookIdOf,
} from "./delivery-queue.ts";

/** What the relay needs to know of the configuration. */
export interface RelaySettings {
  prefix: string;
  /** VEOQ_WEBHOOK_URLS. */
  accountUrls: readonly string[];
  /** VEOQ_WEBHOOK_EVENTS. */
  accountEvents: readonly WebhookEventType[];
  /** VEOQ_WEBHOOK_RETRY_SCHEDULE (ms): a job gets one try more than it has delays. */
  retryScheduleMs: readonly number[];
  apiPublicUrl: string | undefined;
  /** The price table in use: the batch events' money is in its shape (report's batchSpendJson). */
  prices: PricesInUse;
}

export interface RelayDeps {
  store: BatchStore;
  spend: SpendLedger;
  outbox: WebhookOutbox;
  queue: Queue;
  log: DeliveryLog;
  logger: Logger;
  settings: RelaySettings;
  now: () => number;
}

/** How many batches a credentials stop's batch.paused goes to (the newest open ones). */
const OPEN_BATCHES_SCANNED = 1000;

/**
 * Turns outbox entries (written by the pipeline's scripts, one per transition) into delivery
 * jobs: one per endpoint that wants the event (the batch's own webhook, the account-wide ones),
 * each with its delivery record, then deletes the entry. Job ids and records are keyed by the
 * entry's id, so a relay killed half-way and run again (by this or another worker process)
 * neither loses nor doubles a delivery.
 */
export class OutboxRelay {
  private readonly deps: RelayDeps;

  constructor(deps: RelayDeps) {
    this.deps = deps;
  }

  /** Relays every pending batch outbox and the account outbox; returns the deliveries added. */
  async relayPending(): Promise<number> {
    let added = await this.relayAccount();
    for (const batchId of await this.deps.outbox.pendingBatches()) {
      added += await this.relayBatch(batchId);
    }
    return added;
  }

  /**
   * The sweep (at start, then every minute): the newest batches' outboxes, whatever the hint set
   * says (a process killed between a script and its hint leaves an entry only this finds).
   */
  async sweepRecent(limit = OPEN_BATCHES_SCANNED): Promise<number> {
    let added = 0;
    for (const batchId of await this.deps.store.listBatchIds(limit)) {
      if ((await this.deps.outbox.batchSize(batchId)) > 0) added += await this.relayBatch(batchId);
    }
    return added;
  }

  async relayBatch(batchId: string): Promise<number> {
    const { entries, unreadable } = await this.deps.outbox.readBatch(batchId);
    let added = 0;
    const done: string[] = [...unreadable];
    for (const entry of entries) {
      added += await this.relayEntry(entry);
      done.push(entry.id);
    }
    await this.deps.outbox.removeBatchEntries(batchId, done);
    return added;
  }

  async relayAccount(): Promise<number> {
    const { entries, unreadable } = await this.deps.outbox.readAccount();
    let added = 0;
    for (const entry of entries) {
      if (entry.batchId === EVERY_OPEN_BATCH) {
        // A credentials stop pauses every batch still running: one event per open batch.
        for (const batchId of await this.openBatches()) {
          added += await this.relayEntry({
            ...entry,
            batchId,
            id: `${batchId}${entry.id.slice(EVERY_OPEN_BATCH.length)}`,
          });
        }
      } else {
        added += await this.relayEntry(entry);
      }
    }
    await this.deps.outbox.removeAccountEntries([...unreadable, ...entries.map((e) => e.id)]);
    return added;
  }

  private async openBatches(): Promise<string[]> {
    const ids = await this.deps.store.listBatchIds(OPEN_BATCHES_SCANNED);
    const batches = await Promise.all(ids.map((id) => this.deps.store.getBatch(id)));
    return ids.filter((_, i) => {
      const batch = batches[i];
      return batch !== undefined && batch.total > 0 && batch.finishedAt === undefined;
    });
  }

  /** The endpoints that want this event: the batch's own webhook, then the account-wide ones. */
  private async endpointsFor(entry: OutboxEntry): Promise<string[]> {
    const urls: string[] = [];
    const own = await this.deps.store.webhookOf(entry.batchId);
    if (own?.events.includes(entry.type)) urls.push(own.url);
    if (this.deps.settings.accountEvents.includes(entry.type)) {
      urls.push(...this.deps.settings.accountUrls);
    }
    return [...new Set(urls)];
  }

  private async relayEntry(entry: OutboxEntry): Promise<number> {
    const urls = await this.endpointsFor(entry);
    if (urls.length === 0) return 0;
    const { settings } = this.deps;
    const event = await buildWebhookEvent(
      {
        store: this.deps.store,
        spend: this.deps.spend,
        apiPublicUrl: settings.apiPublicUrl,
        prices: settings.prices,
        now: this.deps.now,
      },
      entry,
    );
    if (event === undefined) {
      this.deps.logger.warn(
        { batchId: entry.batchId, eventId: entry.id, type: entry.type },
        "webhook event dropped: what it reports is gone",
      );
      return 0;
    }
    const body = JSON.stringify(event);
    const webhookId = webhookIdOf(settings.prefix, entry.id);
    for (const url of urls) {
      const deliveryId = deliveryIdOf(entry.id, url);
      await this.deps.log.create({
        delivery_id: deliveryId,
        webhook_id: webhookId,
        event_id: entry.id,
        type: entry.type,
        batch_id: entry.batchId,
        custom_id: entry.customId ?? null,
        url,
        state: "pending",
        created_at: new Date(this.deps.now()).toISOString(),
        replays: 0,
        attempts: [],
        body,
      });
      const data: DeliveryJobData = {
        v: 1,
        deliveryId,
        webhookId,
        eventId: entry.id,
        type: entry.type,
        batchId: entry.batchId,
        url,
        body,
      };
      await this.deps.queue.add(entry.type, data, deliveryJobOptions(deliveryId, settings));
    }
    return urls.length;
  }
}

/** The job options of one delivery: its id, one try more than the schedule has delays. */
export function deliveryJobOptions(
  jobId: string,
  settings: Pick<RelaySettings, "retryScheduleMs">,
) {
  return {
    jobId,
    attempts: settings.retryScheduleMs.length + 1,
    backoff: { type: "webhook" },
    removeOnComplete: { age: KEEP_COMPLETED_SECONDS },
    removeOnFail: { age: KEEP_FAILED_SECONDS },
  };
}
