import type { RedisConnection } from "./connection/redis-connection.ts";
import { accountOfOptions, accountSlotKeys } from "./provider-slots.ts";
import { runStoreScript } from "./store-scripts.ts";

/**
 * Paces creates to at most `rpm` per minute per API key across every worker process, before the
 * provider has to answer 429 (it documents about 50 RPM for Veo 3.1).
 *
 * The limit counts real wall-clock minutes whatever VEOQ_TIME_SCALE says: the provider's (and
 * the simulator's) rate limit is on real time, while the time scale only speeds up task
 * durations. A generic cell rate algorithm (GCRA) in one Lua script: the account's
 * "theoretical arrival time" (field `createTat` of its provider-cap hash) advances by
 * 60 000 / rpm ms per create; a create may go when that time is at most `burst - 1` intervals
 * ahead of now, else the answer is how long to wait. The interval carries a RATE_MARGIN so that
 * the jitter between counting a create here and its arrival at the provider does not make two
 * creates land closer than the provider's own spacing. A 429 with Retry-After still wins: it
 * rate-limits the submit queue for its own time (see submit-processor.ts), and `defer` pushes
 * the pace back so every process waits it out.
 */
/** Fraction by which creates are spaced wider than `rpm` strictly needs. */
export const RATE_MARGIN = 0.05;

export interface ProviderRateOptions {
  redis: RedisConnection;
  prefix: string;
  /** The API key, whose short hash names the records; or `account`, the records' name itself. */
  apiKey?: string;
  account?: string;
  /** Creates per minute (VEOQ_PROVIDER_RPM); 0 turns pacing off. */
  rpm: number;
  /** Creates allowed back to back after a quiet spell. Default 1 (none: even spacing). */
  burst?: number;
  now?: () => number;
}

export class ProviderRate {
  private readonly redis: RedisConnection;
  private readonly key: string;
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly now: () => number;

  constructor(options: ProviderRateOptions) {
    this.redis = options.redis;
    this.key = accountSlotKeys(options.prefix, accountOfOptions(options)).cap;
    this.intervalMs = options.rpm > 0 ? (60_000 / options.rpm) * (1 + RATE_MARGIN) : 0;
    this.toleranceMs = this.intervalMs * (Math.max(1, options.burst ?? 1) - 1);
    this.now = options.now ?? Date.now;
  }

  /** 0 when a create may go now (it is counted), else the real ms until one may. */
  async take(): Promise<number> {
    if (this.intervalMs === 0) return 0;
    return Number(
      await runStoreScript(
        this.redis,
        "takeCreateTurn",
        [this.key],
        [this.now(), this.intervalMs, this.toleranceMs],
      ),
    );
  }

  /** The provider answered a rate 429: no create before `untilMs` (ms since epoch), in any process. */
  async defer(untilMs: number): Promise<void> {
    if (this.intervalMs === 0) return;
    await runStoreScript(this.redis, "deferCreates", [this.key], [Math.round(untilMs)]);
  }
}
