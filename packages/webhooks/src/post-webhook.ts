import { Agent, request } from "undici";
import { type ResolvedEndpoint, resolveEndpointAddress } from "./address-guard.ts";

/** What one try of a delivery got back. */
export interface PostOutcome {
  /** HTTP status; undefined when no answer came (network error, timeout, refused address). */
  status: number | undefined;
  /** From a 429's Retry-After (seconds or an HTTP date), in ms from now. */
  retryAfterMs: number | undefined;
  durationMs: number;
  /** Why there was no answer. */
  error: string | undefined;
  /** The address was refused by the SSRF guard: retrying cannot help. */
  refused: boolean;
}

/** The longest Retry-After honoured (a day): a longer one is cut to this. */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

export interface PostWebhookOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
  now?: () => number;
  /** Injected in tests: how host names resolve. */
  resolve?: (host: string) => Promise<{ address: string; family: number }[]>;
}

/**
 * POSTs one signed webhook. The host is resolved and checked by the SSRF guard, and the
 * connection goes to that address (TLS still checks the host name). Redirects are not followed
 * (a 3xx is a failed try); the answer's body is read and dropped; the whole try is bounded by
 * `timeoutMs`. Never throws: every outcome is a PostOutcome.
 */
export async function postWebhook(options: PostWebhookOptions): Promise<PostOutcome> {
  const now = options.now ?? Date.now;
  const started = now();
  const url = new URL(options.url);
  let endpoint: ResolvedEndpoint;
  try {
    endpoint = await resolveEndpointAddress(url.hostname, options.allowPrivate, options.resolve);
  } catch (error) {
    return failed(started, now, (error as Error).message, true);
  }
  const target = new URL(url.href);
  target.hostname = endpoint.family === 6 ? `[${endpoint.address}]` : endpoint.address;
  const agent = new Agent({
    connect: { servername: url.hostname.replace(/^\[|\]$/g, ""), timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  try {
    const response = await request(target, {
      method: "POST",
      dispatcher: agent,
      headers: {
        ...options.headers,
        host: url.host,
        "content-type": "application/json",
        "user-agent": "veoq-webhooks/1",
      },
      body: options.body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    await response.body.dump().catch(() => {});
    const retryAfter = response.headers["retry-after"];
    return {
      status: response.statusCode,
      retryAfterMs:
        response.statusCode === 429
          ? parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, now())
          : undefined,
      durationMs: now() - started,
      error: undefined,
      refused: false,
    };
  } catch (error) {
    const err = error as Error & { code?: string };
    const reason =
      err.name === "TimeoutError" || err.name === "AbortError"
        ? `no answer within ${options.timeoutMs} ms`
        : (err.code ?? err.message);
    return failed(started, now, reason, false);
  } finally {
    void agent.close().catch(() => {});
  }
}

function failed(started: number, now: () => number, error: string, refused: boolean): PostOutcome {
  return {
    status: undefined,
    retryAfterMs: undefined,
    durationMs: now() - started,
    error,
    refused,
  };
}

/** Retry-After as ms from `now`: delta seconds or an HTTP date; undefined when absent or odd. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  let ms: number | undefined;
  if (/^\d{1,10}$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (!Number.isNaN(at)) ms = Math.max(0, at - now);
  }
  return ms === undefined ? undefined : Math.min(ms, MAX_RETRY_AFTER_MS);
}
