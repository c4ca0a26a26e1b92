/**
 * A token bucket per API caller: `perMinute` requests, refilled evenly (one every
 * 60/perMinute s), so a burst of a minute's worth is allowed and then the steady rate. Kept in
 * this process's memory: each API process limits on its own. Pure but for the injected clock.
 */
export class RateLimiter {
  readonly #perMinute: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(perMinute: number, now: () => number = Date.now) {
    this.#perMinute = perMinute;
    this.#now = now;
  }

  /**
   * Takes one request from the caller's bucket: undefined when allowed, else the whole seconds
   * to wait before one is (for Retry-After). A limit of 0 allows everything.
   */
  take(caller: string): number | undefined {
    if (this.#perMinute <= 0) return undefined;
    const now = this.#now();
    const perMs = this.#perMinute / 60_000;
    const bucket = this.#buckets.get(caller) ?? { tokens: this.#perMinute, at: now };
    bucket.tokens = Math.min(this.#perMinute, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    this.#buckets.set(caller, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
  }
}
