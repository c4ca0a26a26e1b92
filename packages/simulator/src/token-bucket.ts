/** Token bucket used for the per-key rate limit. Pure: the caller supplies `nowMs` and keeps the state. */
export interface TokenBucketState {
  /** Tokens left (fractional while refilling). */
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  updatedAtMs: number;
}

export interface TokenBucketRate {
  /** Tokens added per second. */
  requestsPerSecond: number;
  /** Bucket capacity; 0 means `max(1, requestsPerSecond)`. */
  burst: number;
}

export interface TokenTake {
  /** Whether a token was available (the request may proceed). */
  allowed: boolean;
  /** The state to keep for the next call. */
  state: TokenBucketState;
  /** When refused, milliseconds until one token is available; 0 when allowed. */
  waitMs: number;
}

export function capacityOf(rate: TokenBucketRate): number {
  return rate.burst > 0 ? rate.burst : Math.max(1, rate.requestsPerSecond);
}

/** Refill the bucket up to `nowMs`, then try to take one token. A missing state is a full bucket. */
export function takeToken(
  state: TokenBucketState | undefined,
  rate: TokenBucketRate,
  nowMs: number,
): TokenTake {
  const capacity = capacityOf(rate);
  const previous = state ?? { tokens: capacity, updatedAtMs: nowMs };
  const elapsedMs = Math.max(0, nowMs - previous.updatedAtMs);
  const tokens = Math.min(capacity, previous.tokens + (elapsedMs * rate.requestsPerSecond) / 1000);
  if (tokens >= 1) {
    return { allowed: true, state: { tokens: tokens - 1, updatedAtMs: nowMs }, waitMs: 0 };
  }
  const waitMs = ((1 - tokens) * 1000) / rate.requestsPerSecond;
  return { allowed: false, state: { tokens, updatedAtMs: nowMs }, waitMs };
}
