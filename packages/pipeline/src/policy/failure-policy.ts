import type { ProviderErrorKind } from "@veoq/provider-client";

/**
 * The one place where provider error kinds become pipeline decisions. Processors switch on the
 * decision and turn it into BullMQ's signals (UnrecoverableError, RateLimitError, DelayedError,
 * or a plain error that BullMQ retries with backoff: `veoqBackoffStrategy`, at the end, says how
 * long each retry waits).
 */
export type SubmitDecision =
  /** Fail the item for good with the provider's message. */
  | "fail"
  /** The whole submit queue waits Retry-After; the job is not charged an attempt. */
  | "rate_limit"
  /** Pause the submit queue and shout; nothing fails until someone runs `veoq resume`. */
  | "credentials_stop"
  /** Retry with backoff. */
  | "retry"
  /** Retry with backoff, and count the item as a possible duplicate: the task may exist. */
  | "retry_possible_duplicate";

export function decideSubmitFailure(kind: ProviderErrorKind): SubmitDecision {
  switch (kind) {
    case "invalid_request":
      return "fail";
    case "rate_limited":
      return "rate_limit";
    case "unauthorized":
    case "payment_required":
      return "credentials_stop";
    // A 2xx whose body we cannot read probably created (and billed) a task we cannot see.
    case "ambiguous":
    case "malformed_response":
      return "retry_possible_duplicate";
    case "transient":
    case "not_found":
    case "url_expired":
      return "retry";
  }
}

/** Poll errors never fail a task: they only decide how long to wait. */
export type PollErrorDecision = "delay" | "credentials_delay";

export function decidePollFailure(kind: ProviderErrorKind): PollErrorDecision {
  return kind === "unauthorized" || kind === "payment_required" ? "credentials_delay" : "delay";
}

export type DownloadDecision = "refresh_urls" | "retry" | "fail";

export function decideDownloadFailure(kind: ProviderErrorKind): DownloadDecision {
  switch (kind) {
    case "url_expired":
      return "refresh_urls";
    case "invalid_request":
      return "fail";
    default:
      return "retry";
  }
}

const TRANSIENT_REASON =
  /internal|timeout|timed out|retry|temporar|unavailable|overload|busy|capacity|try again|server error/i;
const PERMANENT_REASON =
  /policy|safety|invalid|prohibit|reject|not allowed|violat|unsupported|blocked/i;

/** Whether a FAILED task's reason suggests that a new task with the same request may succeed. */
export function reasonLooksTransient(reason: string | undefined): boolean {
  if (!reason) return true;
  return TRANSIENT_REASON.test(reason) && !PERMANENT_REASON.test(reason);
}

/** Whether a FAILED task's reason says the same request will fail again (policy, invalid input). */
export function reasonLooksPermanent(reason: string | undefined): boolean {
  return reason !== undefined && PERMANENT_REASON.test(reason);
}

/**
 * Exponential backoff with "equal jitter": the n-th retry waits between half and all of
 * base * 2^(n-1), capped at max. Pure: the random source is injected.
 *
 * | try | base 1 s, max 60 s |
 * |-----|--------------------|
 * | 1   | 0.5 – 1 s          |
 * | 2   | 1 – 2 s            |
 * | 3   | 2 – 4 s            |
 * | 5   | 8 – 16 s           |
 * | 7+  | 30 – 60 s          |
 */
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * The BullMQ backoff strategy "veoq" (jobs say `backoff: { type: "veoq" }`), shared by every
 * queue: `retryDelayMs` with the configured base and ceiling.
 */
export function veoqBackoffStrategy(
  settings: { retryBaseMs: number; retryMaxMs: number },
  random: () => number = Math.random,
): (attemptsMade: number) => number {
  return (attemptsMade) =>
    retryDelayMs(attemptsMade, settings.retryBaseMs, settings.retryMaxMs, random);
}
