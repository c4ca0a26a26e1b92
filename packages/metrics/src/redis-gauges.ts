import type { BatchStore } from "@veoq/pipeline";
import { Gauge, type Registry } from "prom-client";
import { withTimeout } from "./with-timeout.ts";

/** How long a scrape waits for a Redis read before leaving its gauges out (ms). */
export const REDIS_READ_TIMEOUT_MS = 2000;

export interface RedisReadOptions {
  /** Give up on the Redis read after this long (ms) and leave the gauges out. Default 2000. */
  timeoutMs?: number;
}

/** The shape of every `register…Metrics` whose gauges read records under `prefix` on scrape. */
export type RegisterRedisGauges = (
  registry: Registry,
  store: BatchStore,
  options?: RedisReadOptions,
) => void;

/** One gauge filled from what the shared read returned. */
export interface RedisGauge<T> {
  name: string;
  help: string;
  labelNames?: readonly string[];
  set: (gauge: Gauge<string>, value: T) => void;
}

/** Gauges that share one Redis read; made by `redisGaugeSet`, registered by `defineRedisGauges`. */
export interface RedisGaugeSet {
  register(registry: Registry, timeoutMs: number): void;
}

/**
 * Gauges read from Redis on scrape that share one `read`, bounded by the timeout (default 2000
 * ms): a Redis that fails or does not answer in time leaves them out of that scrape (reset,
 * nothing set; see `veoq_redis_up`) instead of holding the scrape until it answers. The gauges
 * of one scrape share one read; a read still under way when a later scrape gave up on it is
 * shared by the next scrape too, so a frozen Redis is asked once, not per scrape.
 */
export function redisGaugeSet<T>(
  read: () => Promise<T>,
  gauges: readonly RedisGauge<T>[],
): RedisGaugeSet {
  return {
    register(registry, timeoutMs) {
      let pending: Promise<T> | undefined;
      const snapshot = () => {
        pending ??= read().finally(() => {
          pending = undefined;
        });
        return withTimeout(pending, timeoutMs).catch(() => undefined);
      };
      for (const { name, help, labelNames = [], set } of gauges) {
        new Gauge({
          name,
          help,
          labelNames,
          registers: [registry],
          async collect() {
            this.reset();
            const value = await snapshot();
            if (value !== undefined) set(this, value);
          },
        });
      }
    },
  };
}

/**
 * A `register…Metrics` function from the gauge sets `build` makes over the process's store; `options.timeoutMs` (default 2000) bounds each set's read.
 */
export function defineRedisGauges(
  build: (store: BatchStore) => RedisGaugeSet[],
): RegisterRedisGauges {
  return (registry, store, options = {}) => {
    const timeoutMs = options.timeoutMs ?? REDIS_READ_TIMEOUT_MS;
    for (const set of build(store)) set.register(registry, timeoutMs);
  };
}
