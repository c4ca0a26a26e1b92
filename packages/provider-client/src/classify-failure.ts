import type { LimitScope, ProviderErrorKind, ProviderOperation } from "./provider-error.ts";

/**
 * The one place HTTP statuses and network error codes become `ProviderErrorKind`s.
 * The provider documents no status codes; the mapping below is veoq's own decision for each
 * status, as the README's "What happens when things go wrong" describes it.
 */

export interface StatusClassification {
  kind: ProviderErrorKind;
  /** Set when `kind` is `rate_limited`. */
  limitScope: LimitScope | undefined;
}

/** Codes raised before a single byte of the request reached a socket: never ambiguous. */
const PRE_SEND_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "EAI_NODATA",
  "EAI_NONAME",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);

const CONCURRENCY_MESSAGE = /concurren|parallel|并发/i;

/** Classifies a non-2xx answer. `providerMessage` only decides the scope of a 429. */
export function classifyHttpStatus(
  operation: ProviderOperation,
  status: number,
  providerMessage: string | undefined,
): StatusClassification {
  if (status === 429) {
    return { kind: "rate_limited", limitScope: detectLimitScope(providerMessage) };
  }
  return { kind: classifyStatusKind(operation, status), limitScope: undefined };
}

function classifyStatusKind(operation: ProviderOperation, status: number): ProviderErrorKind {
  if (status >= 500 && status <= 599) return "transient";
  if (status === 408) return "transient";
  if (operation === "download") {
    if (status === 401 || status === 403 || status === 404 || status === 410) return "url_expired";
  } else {
    if (status === 401 || status === 403) return "unauthorized";
    if (status === 402) return "payment_required";
    if (status === 404) return "not_found";
  }
  if (status >= 400 && status <= 499) return "invalid_request";
  // 1xx/3xx reaching us (redirects are not followed on API calls): not the documented contract.
  return "malformed_response";
}

/** `"concurrency"` when the provider says too many tasks run at once, else `"rate"`. */
export function detectLimitScope(providerMessage: string | undefined): LimitScope {
  return providerMessage !== undefined && CONCURRENCY_MESSAGE.test(providerMessage)
    ? "concurrency"
    : "rate";
}

/**
 * Classifies a failure that left no HTTP status (connect error, reset, timeout, broken body).
 * `requestSent` tells whether the whole request had been handed to the socket: a create that
 * was sent may have created a task, so its failure is `ambiguous`; GETs are always `transient`.
 */
export function classifyNetworkError(
  operation: ProviderOperation,
  error: unknown,
  requestSent: boolean,
): ProviderErrorKind {
  if (operation !== "create") return "transient";
  const code = readErrorCode(error);
  if (code !== undefined && PRE_SEND_CODES.has(code)) return "transient";
  return requestSent ? "ambiguous" : "transient";
}

/** `"UND_ERR_SOCKET: other side closed"`; codes of nested errors (AggregateError) included. */
export function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = readErrorCode(error);
  return code === undefined ? error.message : `${code}: ${error.message}`;
}

function readErrorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested)) return readErrorCode(nested[0]);
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined ? undefined : readErrorCode(cause);
}
