import { type RedisConnection, readProviderSlots } from "@veoq/pipeline";
import { Gauge, type Registry } from "prom-client";

/**
 * Gauges read on scrape from the provider-slot records (all API keys under the prefix, summed):
 * `veoq_provider_in_flight_cap` (the effective cap after AIMD), `veoq_provider_in_flight_max`
 * (VEOQ_MAX_IN_FLIGHT) and `veoq_provider_slots_in_use`.
 */
export function registerProviderSlotMetrics(
  registry: Registry,
  redis: RedisConnection,
  prefix: string,
): void {
  let pending: ReturnType<typeof readProviderSlots> | undefined;
  const snapshot = () => {
    pending ??= readProviderSlots(redis, prefix).finally(() => {
      pending = undefined;
    });
    return pending.catch(() => undefined);
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
