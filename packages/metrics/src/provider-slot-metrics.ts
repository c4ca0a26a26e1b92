import { type RedisConnection, readProviderSlots } from "@veoq/pipeline";
import { Gauge, type Registry } from "prom-client";
import { withTimeout } from "./with-timeout.ts";

/**
 * Gauges read on scrape from the provider-slot records (all API keys under the prefix, summed):
 * `veoq_provider_in_flight_cap` (the effective cap after AIMD), `veoq_provider_in_flight_max`
 * (VEOQ_MAX_IN_FLIGHT) and `veoq_provider_slots_in_use`. A Redis that does not answer within
 * `timeoutMs` (default 2000) leaves them out of the scrape (see `veoq_redis_up`) instead of
 * holding the scrape until it answers.
 */
export function registerProviderSlotMetrics(
  registry: Registry,
  redis: RedisConnection,
  prefix: string,
  options: { timeoutMs?: number } = {},
): void {
  const timeoutMs = options.timeoutMs ?? 2000;
  let pending: ReturnType<typeof readProviderSlots> | undefined;
  // The gauges of one scrape share one read; a read still under way when a later scrape gave
  // up on it is shared by the next scrape too, so a frozen Redis is asked once, not per scrape.
  const snapshot = () => {
    pending ??= readProviderSlots(redis, prefix).finally(() => {
      pending = undefined;
    });
    return withTimeout(pending, timeoutMs, "provider slots").catch(() => undefined);
  };
  const gauge = (
    name: string,
    help: string,
    pick: (u: { inUse: number; cap: number; max: number }) => number,
  ) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.reset();
        const usage = await snapshot();
        if (usage && usage.accounts > 0) this.set(pick(usage));
      },
    });
  gauge(
    "veoq_provider_in_flight_cap",
    "Effective cap on tasks in flight at the provider (lowered on concurrency 429s, grown back slowly)",
    (u) => u.cap,
  );
  gauge(
    "veoq_provider_in_flight_max",
    "Configured maximum of tasks in flight at the provider (VEOQ_MAX_IN_FLIGHT)",
    (u) => u.max,
  );
  gauge("veoq_provider_slots_in_use", "Provider slots held by tasks in flight", (u) => u.inUse);
}
