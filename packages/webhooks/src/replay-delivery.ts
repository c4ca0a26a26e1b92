import { type RedisConnection, recordKeys } from "@veoq/pipeline";
import { type DeliveryJson, DeliveryLog, endpointWithoutQuery } from "./delivery-log.ts";
import { batchOfDelivery, createWebhookQueue, type DeliveryJobData } from "./delivery-queue.ts";
import { DisabledEndpoints } from "./disabled-endpoints.ts";
import { deliveryJobOptions } from "./relay-outbox.ts";

export interface WebhookStoreOptions {
  redis: RedisConnection;
  /** VEOQ_PREFIX. */
  prefix: string;
}

/** Every webhook delivery of a batch with its tries (`GET /v1/batches/{id}/webhooks`). */
export async function readDeliveryLog(
  options: WebhookStoreOptions,
  batchId: string,
): Promise<DeliveryJson[]> {
  return new DeliveryLog(options.redis, recordKeys(options.prefix)).list(batchId);
}

/**
 * Sends a delivery again (`POST /v1/webhooks/{delivery_id}/replay`): the same body and the same
 * `webhook-id` (a receiver that already has it can drop it), through the delivery queue with the
 * full retry schedule, as job `<delivery id>~r<n>`. A replay enables the endpoint again if a 410
 * had disabled it. Undefined when there is no such delivery. Returned as shown (the endpoint
 * without its query).
 */
export async function replayDelivery(
  options: WebhookStoreOptions & { retryScheduleMs: readonly number[] },
  deliveryId: string,
): Promise<DeliveryJson | undefined> {
  const batchId = batchOfDelivery(deliveryId);
  if (batchId === undefined) return undefined;
  const keys = recordKeys(options.prefix);
  const log = new DeliveryLog(options.redis, keys);
  const record = await log.read(batchId, deliveryId);
  if (record === undefined) return undefined;
  await new DisabledEndpoints(options.redis, keys).enable(record.url);
  record.replays += 1;
  record.state = "pending";
  await log.write(record);
  const data: DeliveryJobData = {
    v: 1,
    deliveryId,
    webhookId: record.webhook_id,
    eventId: record.event_id,
    type: record.type,
    batchId,
    url: record.url,
    body: record.body,
  };
  const queue = createWebhookQueue(options.redis, options.prefix);
  try {
    await queue.add(
      record.type,
      data,
      deliveryJobOptions(`${deliveryId}~r${record.replays}`, options),
    );
  } finally {
    await queue.close();
  }
  const { body: _body, ...shown } = record;
  return { ...shown, url: endpointWithoutQuery(shown.url) };
}
