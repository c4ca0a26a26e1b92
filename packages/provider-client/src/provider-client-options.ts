import type { ProviderErrorKind, ProviderOperation } from "./provider-error.ts";

/** One finished provider call, for metrics. */
export interface ProviderRequestEvent {
  operation: ProviderOperation;
  /** Endpoint slug for creates, `"task-result"`, or `"file"` for downloads. */
  endpoint: string;
  /** HTTP status of the answer; `undefined` when none came. */
  status: number | undefined;
  /** Kind of the failure; `undefined` on success (and when the caller aborted). */
  errorKind: ProviderErrorKind | undefined;
  /** Wall time of the whole call, including reading the body. */
  durationMs: number;
}

export interface ProviderClientOptions {
  /** Origin (and optional path prefix) of the API, e.g. `https://api.jiekou.ai`. Required. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>` to the API origin, and nowhere else. Required. */
  apiKey: string;
  /** Time allowed to open a TCP/TLS connection, in ms. Default 10_000. */
  connectTimeoutMs?: number;
  /** Time allowed between sending a request and receiving the response headers, in ms. Default 30_000. */
  headersTimeoutMs?: number;
  /** Longest silence while reading an API response body, in ms. Default 30_000. */
  bodyTimeoutMs?: number;
  /** Longest silence while reading a downloaded file, in ms. Default 120_000. */
  downloadBodyTimeoutMs?: number;
  /** Most sockets kept open per origin. Default 64. */
  connections?: number;
  /** How long an idle socket stays in the pool, in ms (a server's keep-alive hint may shorten it). Default 30_000. */
  keepAliveTimeoutMs?: number;
  /** Redirects followed when downloading a file (never on API calls). Default 5. */
  maxDownloadRedirections?: number;
  /** Largest file downloaded, in bytes; a bigger one is refused as `invalid_request`. Default 512 MiB. */
  maxDownloadBytes?: number;
  /** Clock used to turn a `Retry-After` date into a delay. Default `Date.now`. */
  now?: () => number;
  /** Called once per call, success or failure. Exceptions it throws are ignored. Default: none. */
  onRequest?: (event: ProviderRequestEvent) => void;
}

/** Every default of the client, in one place. */
export const PROVIDER_CLIENT_DEFAULTS = {
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  downloadBodyTimeoutMs: 120_000,
  connections: 64,
  keepAliveTimeoutMs: 30_000,
  maxDownloadRedirections: 5,
  /**
   * A Veo video is at most 8 s of 1080p (a few tens of MB); 512 MiB leaves a wide margin for
   * other encodings and still stops a runaway or hostile body before it fills the disk.
   */
  maxDownloadBytes: 512 * 1024 * 1024,
  /** Largest API response body read, in bytes; a bigger 2xx body is `malformed_response`. */
  maxApiBodyBytes: 8 * 1024 * 1024,
  /** Largest error body read for its message, in bytes; the rest is discarded. */
  maxErrorBodyBytes: 64 * 1024,
} as const;
