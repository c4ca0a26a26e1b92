export {
  classifyHttpStatus,
  classifyNetworkError,
  detectLimitScope,
  type StatusClassification,
} from "./classify-failure.ts";
export type { DownloadResult } from "./download-file.ts";
export { type DownloadSink, openFileSink } from "./download-sink.ts";
export { parseRetryAfter } from "./parse-retry-after.ts";
export { createProviderClient, type ProviderClient } from "./provider-client.ts";
export {
  PROVIDER_CLIENT_DEFAULTS,
  type ProviderClientOptions,
  type ProviderRequestEvent,
} from "./provider-client-options.ts";
export {
  isProviderError,
  type LimitScope,
  ProviderError,
  type ProviderErrorKind,
  type ProviderOperation,
} from "./provider-error.ts";
