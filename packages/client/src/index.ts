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
  WebhookEvent,
} from "@veoq/api";
export { VeoqApiError } from "./veoq-api-error.ts";
export {
  type MutationOptions,
  type NdjsonManifest,
  VeoqClient,
  type VeoqClientOptions,
} from "./veoq-client.ts";
