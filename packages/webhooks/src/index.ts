export {
  AddressRefusedError,
  isNonPublicAddress,
  resolveEndpointAddress,
} from "./address-guard.ts";
export { apiLink, buildWebhookEvent } from "./build-webhook-event.ts";
export {
  DELIVERY_STATES,
  type DeliveryAttemptJson,
  type DeliveryJson,
  DeliveryLog,
  type DeliveryState,
  deliveryAttemptJson,
  deliveryJson,
  endpointWithoutQuery,
} from "./delivery-log.ts";
export {
  createDeliveryProcessor,
  DeliveryFailedError,
  nextDelayMs,
  webhookBackoffStrategy,
} from "./delivery-processor.ts";
export {
  batchOfDelivery,
  createWebhookQueue,
  deliveryIdOf,
  endpointKey,
  WEBHOOK_QUEUE_NAME,
  webhookIdOf,
  webhookQueuePrefix,
} from "./delivery-queue.ts";
export { DisabledEndpoints } from "./disabled-endpoints.ts";
export { parseRetryAfter, postWebhook } from "./post-webhook.ts";
export { OutboxRelay } from "./relay-outbox.ts";
export { readDeliveryLog, replayDelivery, type WebhookStoreOptions } from "./replay-delivery.ts";
export {
  batchPausedData,
  type WebhookEvent,
  webhookBatchData,
  webhookEventSchema,
  webhookItemData,
} from "./webhook-events.ts";
export {
  DEFAULT_TOLERANCE_SECONDS,
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
  webhookHeaders,
  webhookSecretKey,
} from "./webhook-signature.ts";
export {
  type RunningWebhookWorker,
  startWebhookWorker,
  WEBHOOK_DEFAULTS,
  type WebhookWorkerOptions,
} from "./webhook-worker.ts";
