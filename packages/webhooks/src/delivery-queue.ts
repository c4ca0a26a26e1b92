import { createHash } from "node:crypto";
import { barePrefix, type RedisConnection, WEBHOOK_EVENT_TYPES } from "@veoq/pipeline";
import { Queue, type Telemetry } from "bullmq";
import { z } from "zod";

/**
 * The webhook delivery queue: one BullMQ job per (event, endpoint), under its own hash tag
 * `{<bare prefix>:webhooks}`. Its job id is the delivery id `<event id>~<endpoint key>`, built
 * from the outbox entry's id (store/webhook-outbox.ts in @veoq/pipeline), so the relay adding
 * the same event again adds nothing. Jobs are kept (completed 7 days, failed 30) so that id stays
 * taken while a late relay could still add it.
 */
export const WEBHOOK_QUEUE_NAME = "webhooks";

/** The BullMQ prefix of the delivery queue. */
export function webhookQueuePrefix(prefix: string): string {
  return `{${barePrefix(prefix)}:${WEBHOOK_QUEUE_NAME}}`;
}

export function createWebhookQueue(
  connection: RedisConnection,
  prefix: string,
  /** BullMQ's own telemetry (bullmq-otel), when tracing is on. */
  extra: { telemetry?: Telemetry } = {},
): Queue {
  return new Queue(WEBHOOK_QUEUE_NAME, {
    connection,
    prefix: webhookQueuePrefix(prefix),
    ...extra,
  });
}

/** How long finished delivery jobs are kept (their ids stay taken meanwhile). */
export const KEEP_COMPLETED_SECONDS = 7 * 24 * 3600;
export const KEEP_FAILED_SECONDS = 30 * 24 * 3600;

/** A short, stable key of an endpoint URL: in delivery ids and the disabled-endpoint record. */
export function endpointKey(url: string): string {
  return createHash("sha256").update(url).digest("hex").slice(0, 12);
}

/** The delivery id (and job id) of one event to one endpoint. */
export function deliveryIdOf(eventId: string, url: string): string {
  return `${eventId}~${endpointKey(url)}`;
}

/** The batch a delivery belongs to: the part of its id before the first `~` (batch ids have none). */
export function batchOfDelivery(deliveryId: string): string | undefined {
  const at = deliveryId.indexOf("~");
  return at > 0 ? deliveryId.slice(0, at) : undefined;
}

/**
 * The `webhook-id` of an event: the same on every try and every endpoint, unique per deployment
 * (the key prefix is part of it).
 */
export function webhookIdOf(prefix: string, eventId: string): string {
  return `msg_${createHash("sha256").update(`${prefix}|${eventId}`).digest("base64url").slice(0, 27)}`;
}

/** One delivery job's data: everything needed to send it, body included (signed at each try). */
export const deliveryJobDataSchema = z.object({
  v: z.literal(1),
  deliveryId: z.string().min(1).max(400),
  webhookId: z.string().min(1).max(100),
  eventId: z.string().min(1).max(300),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  batchId: z.string().min(1).max(64),
  url: z.string().min(1).max(2048),
  body: z.string(),
});
export type DeliveryJobData = z.infer<typeof deliveryJobDataSchema>;
