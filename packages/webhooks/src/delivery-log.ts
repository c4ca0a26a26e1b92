import { type RecordKeys, type RedisConnection, WEBHOOK_EVENT_TYPES } from "@veoq/pipeline";
import { z } from "zod";

/**
 * Each batch's webhook delivery log: one record per delivery (event × endpoint) with every try,
 * in a hash under the batch's hash tag (`webhookDeliveries`). The worker appends a try after each
 * one; `GET /v1/batches/{id}/webhooks`, `veoq webhooks BATCH` and the dashboard's batch page read
 * it with readDeliveryLog. Stored in the snake_case shape they print.
 */

export const DELIVERY_STATES = [
  /** Not tried yet, or a replay is queued. */
  "pending",
  /** A try failed; another is scheduled (`next_attempt_at`). */
  "retrying",
  /** The endpoint answered 2xx. */
  "delivered",
  /** Every try failed. */
  "failed",
  /** The endpoint answered 410 Gone (it is disabled for every batch), or was already disabled. */
  "disabled",
  /** The SSRF guard refused the endpoint's address. */
  "refused",
] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** At most this many tries are kept per delivery (the newest). */
const MAX_ATTEMPTS_KEPT = 50;

export const deliveryAttemptJson = z.object({
  at: z.iso.datetime(),
  /** The endpoint's HTTP status; null when no answer came. */
  status: z.number().int().nullable(),
  /** Why the try failed without an answer (timeout, refused address, connection error). */
  error: z.string().nullable(),
  duration_ms: z.number().int(),
  /** When the next try is due; null when none is. */
  next_attempt_at: z.iso.datetime().nullable(),
});
export type DeliveryAttemptJson = z.infer<typeof deliveryAttemptJson>;

export const deliveryJson = z.object({
  delivery_id: z.string(),
  webhook_id: z.string(),
  event_id: z.string(),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  batch_id: z.string(),
  custom_id: z.string().nullable(),
  url: z.string(),
  state: z.enum(DELIVERY_STATES),
  created_at: z.iso.datetime(),
  replays: z.number().int(),
  attempts: z.array(deliveryAttemptJson),
});
export type DeliveryJson = z.infer<typeof deliveryJson>;

/** What is stored: the record plus the body (for replays; not shown). */
const storedDelivery = deliveryJson.extend({ body: z.string() });
export type StoredDelivery = z.infer<typeof storedDelivery>;

function parseStored(raw: string | null | undefined): StoredDelivery | undefined {
  if (raw === null || raw === undefined) return undefined;
  try {
    const parsed = storedDelivery.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An endpoint as it is shown (API, dashboard, CLI): origin and path, without the query string,
 * which may hold the receiver's token. Deliveries themselves go to the full URL.
 */
export function endpointWithoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "[invalid url]";
  }
}

/** Reads and writes delivery records. Stateless apart from the connection. */
export class DeliveryLog {
  private readonly redis: RedisConnection;
  private readonly keys: RecordKeys;

  constructor(redis: RedisConnection, keys: RecordKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  /** Creates the record unless it exists (a relay run again keeps the tries already logged). */
  async create(record: StoredDelivery): Promise<void> {
    await this.redis.hsetnx(
      this.keys.webhookDeliveries(record.batch_id),
      record.delivery_id,
      JSON.stringify(record),
    );
  }

  async read(batchId: string, deliveryId: string): Promise<StoredDelivery | undefined> {
    return parseStored(await this.redis.hget(this.keys.webhookDeliveries(batchId), deliveryId));
  }

  /** Appends one try and sets the state. */
  async recordAttempt(
    batchId: string,
    deliveryId: string,
    attempt: DeliveryAttemptJson,
    state: DeliveryState,
  ): Promise<void> {
    const record = await this.read(batchId, deliveryId);
    if (record === undefined) return;
    record.attempts = [...record.attempts, attempt].slice(-MAX_ATTEMPTS_KEPT);
    record.state = state;
    await this.write(record);
  }

  async write(record: StoredDelivery): Promise<void> {
    await this.redis.hset(
      this.keys.webhookDeliveries(record.batch_id),
      record.delivery_id,
      JSON.stringify(record),
    );
  }

  /** Every delivery of a batch, oldest first, as shown: without bodies, endpoints without queries. */
  async list(batchId: string): Promise<DeliveryJson[]> {
    const fields = await this.redis.hgetall(this.keys.webhookDeliveries(batchId));
    return Object.values(fields)
      .map(parseStored)
      .filter((r): r is StoredDelivery => r !== undefined)
      .sort(
        (a, b) =>
          a.created_at.localeCompare(b.created_at) || a.delivery_id.localeCompare(b.delivery_id),
      )
      .map(({ body: _body, ...shown }) => ({ ...shown, url: endpointWithoutQuery(shown.url) }));
  }
}
