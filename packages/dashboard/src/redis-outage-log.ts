import type { Logger } from "@veoq/logging";

export interface RedisOutageLogOptions {
  logger: Logger;
  /** While Redis stays away, one reminder per this many ms. Default 60000. */
  repeatEveryMs?: number;
  now?: () => number;
}

/**
 * Logs a Redis outage as three kinds of line instead of one per reconnect attempt (ioredis
 * retries several times a second): "redis unreachable" once when it starts, "redis still
 * unreachable" at most every `repeatEveryMs` with the errors seen since, "redis reachable again"
 * with how long it lasted.
 */
export class RedisOutageLog {
  private readonly logger: Logger;
  private readonly repeatEveryMs: number;
  private readonly now: () => number;
  private outage: { since: number; lastLoggedAt: number; errors: number } | undefined;

  constructor(options: RedisOutageLogOptions) {
    this.logger = options.logger;
    this.repeatEveryMs = options.repeatEveryMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** True between the first error and the next successful connection. */
  get active(): boolean {
    return this.outage !== undefined;
  }

  /** A connection error (ioredis "error" event). */
  error(error: unknown): void {
    const at = this.now();
    if (this.outage === undefined) {
      this.outage = { since: at, lastLoggedAt: at, errors: 0 };
      this.logger.warn(
        { err: error },
        "dashboard: redis unreachable; pages answer 503 until it is back",
      );
      return;
    }
    this.outage.errors += 1;
    if (at - this.outage.lastLoggedAt < this.repeatEveryMs) return;
    this.logger.warn(
      { err: error, downForMs: at - this.outage.since, errorsSinceLastLine: this.outage.errors },
      "dashboard: redis still unreachable",
    );
    this.outage.lastLoggedAt = at;
    this.outage.errors = 0;
  }

  /** Errors that come from the same cause (queues re-emit their connection's errors). */
  related(error: unknown, context: Record<string, unknown> = {}): void {
    if (this.outage !== undefined) this.outage.errors += 1;
    else this.logger.warn({ ...context, err: error }, "dashboard: queue error");
  }

  /** The connection is ready again (ioredis "ready" event). */
  ready(): void {
    if (this.outage === undefined) return;
    this.logger.info(
      { downForMs: this.now() - this.outage.since },
      "dashboard: redis reachable again",
    );
    this.outage = undefined;
  }
}
