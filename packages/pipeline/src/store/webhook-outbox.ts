import { z } from "zod";
import type { RedisConnection } from "./connection/redis-connection.ts";
import { type RecordKeys, recordKeys } from "./keys.ts";

/**
 * The webhook outbox: the pipeline's side of webhooks out (packages/webhooks delivers them).
 *
 * A transition that a webhook reports (an item failed or completed, every item of a batch final,
 * a batch paused on its budget or by a credentials stop) writes one outbox entry **in the same
 * Lua script** that makes the transition, with an event id taken from a counter in that script:
 * the event exists exactly when the transition happened, once, whatever crashes before or after.
 * The relay in packages/webhooks turns each entry into delivery jobs whose job ids are built from
 * the event id (so a relay that crashes half-way and runs again adds nothing twice) and then
 * deletes the entry.
 *
 * Where the entries are: each batch's own outbox sits under the batch's hash tag (the batch-store
 * scripts write it); batch.paused entries sit in the account-wide outbox, under the prefix's tag
 * (the spend gate and the credentials stop write it). The script that writes a batch entry
 * publishes the batch id on `webhookOutboxWake` in the same step (scripts/includes/emitBatchEvent.lua);
 * after it the store adds the batch to `webhookOutboxBatches`, the relay's hint of where to look
 * (`markOutboxPending`); the scripts that write the account outbox publish ACCOUNT_OUTBOX_MESSAGE
 * themselves (scripts/includes/emitPauseEvent.lua). The message wakes the relay at once; an idle relay
 * issues no command until one comes. A message missed (no relay subscribed, a reconnect) is
 * found by the relay's slow sweep of the hint set and the account outbox; a process killed
 * between a script and its hint, whose script's message was missed too, leaves an entry that only the rarer sweep of the newest batches
 * (at start, then every few minutes) finds (see packages/webhooks relay-loop.ts).
 */

/** Every event type veoq sends. */
export const WEBHOOK_EVENT_TYPES = [
  "batch.completed",
  "batch.paused",
  "item.failed",
  "item.completed",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What an endpoint gets unless it names its events: everything but item.completed. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEventType[] = [
  "batch.completed",
  "batch.paused",
  "item.failed",
];

/** The item events: written to an outbox only when some endpoint of the batch asked for them. */
export const ITEM_WEBHOOK_EVENTS: readonly WebhookEventType[] = ["item.failed", "item.completed"];

/** The batch id of an account-wide entry that stands for every unfinished batch (credentials stop). */
export const EVERY_OPEN_BATCH = "*";

export const outboxEntrySchema = z.object({
  /** `<batch>~e<n>` (batch outbox), `<batch>~p<n>` (budget pause), `*~c<n>` (credentials stop). */
  id: z.string().min(1).max(300),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  batchId: z.string().min(1).max(64),
  customId: z.string().optional(),
  /** batch.paused: budget, daily_budget, or credentials (with `detail`). */
  reason: z.string().optional(),
  /** batch.paused by a credentials stop: the provider's refusal (kind and message). */
  detail: z.string().optional(),
  /** When the transition happened (ms). */
  at: z.number(),
});
export type OutboxEntry = z.infer<typeof outboxEntrySchema>;

/** A batch's webhook as `enqueue --webhook` stored it on the batch record. */
export interface BatchWebhook {
  url: string;
  events: WebhookEventType[];
}

/**
 * A batch's webhook as a producer gives it (`enqueue --webhook URL --webhook-events a,b`, the
 * API's `webhook_url` / `webhook_events`): an http(s) URL, and the events (default
 * DEFAULT_WEBHOOK_EVENTS). Whether the address may be reached is decided at delivery (SSRF guard).
 */
export const batchWebhookSchema = z.object({
  url: z
    .string()
    .max(2048, "must be at most 2048 characters")
    .refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), "must be an http:// or https:// URL"),
  events: z
    .array(
      z.enum(WEBHOOK_EVENT_TYPES, { error: `must be one of ${WEBHOOK_EVENT_TYPES.join(", ")}` }),
    )
    .min(1, "must name at least one event")
    .optional()
    .transform((events) => [...new Set(events ?? DEFAULT_WEBHOOK_EVENTS)]),
});

/** The batch-record fields of a batch's webhook (the record is written by enqueue). */
export const BATCH_WEBHOOK_FIELDS = {
  url: "webhookUrl",
  events: "webhookEvents",
  /** ",item.failed,item.completed," : what the finish script reads to write item entries. */
  itemEvents: "webhookItemEvents",
} as const;

/** The item events of a list, as the finish script matches them (",a,b,"; "" for none). */
export function itemEventsField(events: readonly string[]): string {
  const items = events.filter((e) => (ITEM_WEBHOOK_EVENTS as readonly string[]).includes(e));
  return items.length === 0 ? "" : `,${items.join(",")},`;
}

/**
 * The message on `webhookOutboxWake` that says the account outbox got entries (a batch's outbox
 * publishes its batch id; no batch id holds a "~"). Written literally in emitPauseEvent.lua.
 */
export const ACCOUNT_OUTBOX_MESSAGE = "~account";

/**
 * Notes that a batch's outbox holds entries (after the script that wrote them, which already
 * woke the relay: includes/emitBatchEvent.lua): the relay's hint, what its sweep reads when no
 * relay heard the message.
 */
export async function markOutboxPending(
  redis: RedisConnection,
  keys: Pick<RecordKeys, "webhookOutboxBatches">,
  batchId: string,
): Promise<void> {
  await redis.sadd(keys.webhookOutboxBatches, batchId);
}

/** Reads and empties the outboxes (the relay's side). Stateless apart from the connection. */
export class WebhookOutbox {
  readonly keys: RecordKeys;
  private readonly redis: RedisConnection;

  constructor(redis: RedisConnection, prefix: string) {
    this.redis = redis;
    this.keys = recordKeys(prefix);
  }

  /** Batches whose outbox may hold entries. */
  async pendingBatches(): Promise<string[]> {
    return this.redis.smembers(this.keys.webhookOutboxBatches);
  }

  /** Notes that a batch's outbox holds entries, and wakes the relay (`markOutboxPending`). */
  async markPending(batchId: string): Promise<void> {
    await markOutboxPending(this.redis, this.keys, batchId);
  }

  /** Entries of a batch's outbox; those that do not parse are returned as ids to drop. */
  async readBatch(batchId: string): Promise<{ entries: OutboxEntry[]; unreadable: string[] }> {
    return parseEntries(await this.redis.hgetall(this.keys.webhookOutbox(batchId)));
  }

  async readAccount(): Promise<{ entries: OutboxEntry[]; unreadable: string[] }> {
    return parseEntries(await this.redis.hgetall(this.keys.accountWebhookOutbox));
  }

  /** Deletes relayed entries of a batch's outbox; forgets the hint when it is empty. */
  async removeBatchEntries(batchId: string, ids: readonly string[]): Promise<void> {
    const key = this.keys.webhookOutbox(batchId);
    if (ids.length > 0) await this.redis.hdel(key, ...ids);
    // A script may write between these two: then its own markOutboxPending (after the script)
    // adds the hint back, or, if that process died, the relay's sweep of the newest batches finds
    // it.
    if ((await this.redis.hlen(key)) === 0) {
      await this.redis.srem(this.keys.webhookOutboxBatches, batchId);
    }
  }

  async removeAccountEntries(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.hdel(this.keys.accountWebhookOutbox, ...ids);
  }

  /** How many entries a batch's outbox holds (the relay's sweep of the newest batches). */
  async batchSize(batchId: string): Promise<number> {
    return this.redis.hlen(this.keys.webhookOutbox(batchId));
  }
}

function parseEntries(fields: Record<string, string>): {
  entries: OutboxEntry[];
  unreadable: string[];
} {
  const entries: OutboxEntry[] = [];
  const unreadable: string[] = [];
  for (const [id, raw] of Object.entries(fields)) {
    let parsed: ReturnType<typeof outboxEntrySchema.safeParse>;
    try {
      parsed = outboxEntrySchema.safeParse(JSON.parse(raw));
    } catch {
      unreadable.push(id);
      continue;
    }
    if (parsed.success) entries.push(parsed.data);
    else unreadable.push(id);
  }
  // In the order the transitions happened: by time, then by the counter that ends each id.
  const seq = (id: string) => Number(/(\d+)$/.exec(id)?.[1] ?? 0);
  return { entries: entries.sort((a, b) => a.at - b.at || seq(a.id) - seq(b.id)), unreadable };
}
