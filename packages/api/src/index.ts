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
export * as schemas from "@veoq/api-schemas";
export { problemJson } from "@veoq/api-schemas";
export { type ApiContext, createApiContext } from "./api-context.ts";
export { ApiProblem, PROBLEMS, type ProblemKind } from "./api-problem.ts";
export {
  type ApiRequest,
  type ApiResult,
  type ApiRoute,
  defineRoute,
  type HttpMethod,
  json,
  type RouteSpec,
} from "./api-route.ts";
export { API_ROUTES } from "./api-routes.ts";
export {
  type ApiCaller,
  type ConfiguredToken,
  scopeAllows,
  TokenAuthenticator,
  type TokenScope,
} from "./api-tokens.ts";
export { createExpressApp, expressPath, type RequestSpanMiddleware } from "./express-adapter.ts";
export { handleRequest, type RawRequest, type RequestPipeline } from "./handle-request.ts";
export { IdempotencyStore } from "./idempotency-store.ts";
export { createOpenApiDocument } from "./openapi-document.ts";
export { RateLimiter } from "./rate-limiter.ts";
export { runApiProcess } from "./run-api-process.ts";
export {
  API_VERSION,
  ApiStartError,
  type ApiTracing,
  checkApiBinding,
  type RunningApi,
  type StartApiOptions,
  startApi,
} from "./start-api.ts";
