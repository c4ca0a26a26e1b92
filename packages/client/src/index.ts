export type {
  BatchListJson,
  BatchObjectJson,
  BudgetJson,
  CreateBatchOptions,
  CreatedBatchJson,
  EstimateResultJson,
  ItemListJson,
  ItemResultJson,
  ItemStateFilter,
  LifecycleJson,
  PriorityJson,
  ProblemJson,
  RetryResultJson,
  WebhookDeliveryJson,
  WebhookDeliveryListJson,
  WebhookEvent,
} from "@veoq/api-schemas";
export {
  DEFAULT_TOLERANCE_SECONDS,
  verifyWebhook,
  type WebhookRequestHeaders,
  WebhookVerificationError,
} from "@veoq/webhooks/signature";
export { VeoqApiError } from "./veoq-api-error.ts";
export {
  type MutationOptions,
  type NdjsonManifest,
  VeoqClient,
  type VeoqClientOptions,
} from "./veoq-client.ts";
