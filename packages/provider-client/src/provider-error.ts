/**
 * What went wrong with a provider call, as the worker must act on it. Every failure of the
 * client is one of these; `classify-failure.ts` is the one place statuses and error codes map here.
 */
export type ProviderErrorKind =
  /**
   * 400/422 (or another unexpected 4xx): this request will never succeed as is. Also a file
   * download that asking again cannot fix: a non-http(s) URL or redirect, a file over the size
   * cap, bytes that are not an MP4.
   */
  | "invalid_request"
  /** 401/403 on API calls: the key is wrong or revoked; stop submitting. */
  | "unauthorized"
  /** 402: the balance is exhausted; stop submitting. */
  | "payment_required"
  /** 429: slow down; see `retryAfterMs` and `limitScope`. */
  | "rate_limited"
  /** 404 on API calls (e.g. an unknown task id). */
  | "not_found"
  /** 5xx, a connection failure before the request was sent, or any network failure of a GET. */
  | "transient"
  /** A create request was sent but no answer came: the task may exist (and be billed). */
  | "ambiguous"
  /** A 2xx answer that does not follow the contract (bad JSON, no task_id, HTML instead of a file). */
  | "malformed_response"
  /** A result file URL answered 401/403/404/410: fetch the task result again for fresh URLs. */
  | "url_expired";

/** Which call failed. */
export type ProviderOperation = "create" | "task-result" | "download";

/** Whether a 429 is about the request rate or about the number of tasks running at once. */
export type LimitScope = "rate" | "concurrency";

export interface ProviderErrorInit {
  kind: ProviderErrorKind;
  operation: ProviderOperation;
  /** Endpoint slug, `"task-result"` or `"file"`. */
  endpoint: string;
  status?: number | undefined;
  retryAfterMs?: number | undefined;
  /** Already scrubbed of secrets and truncated. */
  providerMessage?: string | undefined;
  limitScope?: LimitScope | undefined;
  /** Short description of a non-HTTP failure (already scrubbed), e.g. `"UND_ERR_SOCKET other side closed"`. */
  detail?: string | undefined;
  cause?: unknown;
}

const PROVIDER_ERROR_BRAND = Symbol.for("veoq.provider-client.ProviderError");

/** A classified failure of a provider call. Never carries the API key. */
export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly operation: ProviderOperation;
  /** Endpoint slug, `"task-result"` or `"file"`. */
  readonly endpoint: string;
  /** HTTP status when an answer came, else `undefined`. */
  readonly status: number | undefined;
  /** Delay asked for by `Retry-After`, in milliseconds, when the header was present and valid. */
  readonly retryAfterMs: number | undefined;
  /** The provider's own message (scrubbed, at most ~300 characters). */
  readonly providerMessage: string | undefined;
  /** Set on `rate_limited` only. */
  readonly limitScope: LimitScope | undefined;

  constructor(init: ProviderErrorInit) {
    super(
      formatProviderErrorMessage(init),
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = "ProviderError";
    this.kind = init.kind;
    this.operation = init.operation;
    this.endpoint = init.endpoint;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.providerMessage = init.providerMessage;
    this.limitScope = init.limitScope;
    Object.defineProperty(this, PROVIDER_ERROR_BRAND, { value: true });
  }
}

/** True for a `ProviderError`, even one created by another copy of this module. */
export function isProviderError(e: unknown): e is ProviderError {
  return (
    e instanceof ProviderError ||
    (typeof e === "object" &&
      e !== null &&
      (e as Record<symbol, unknown>)[PROVIDER_ERROR_BRAND] === true)
  );
}

/** One line: `create veo-3.1-lite-firstlastframe: HTTP 429 rate_limited (retry after 2000 ms): too many concurrent tasks`. */
function formatProviderErrorMessage(init: ProviderErrorInit): string {
  const parts = [`${init.operation} ${init.endpoint}:`];
  if (init.status !== undefined) parts.push(`HTTP ${init.status}`);
  parts.push(init.kind);
  if (init.retryAfterMs !== undefined) parts.push(`(retry after ${init.retryAfterMs} ms)`);
  let line = parts.join(" ");
  if (init.detail !== undefined && init.detail !== "") line += `: ${init.detail}`;
  if (init.providerMessage !== undefined && init.providerMessage !== "") {
    line += `: ${init.providerMessage}`;
  }
  return line.replace(/\s+/g, " ");
}
