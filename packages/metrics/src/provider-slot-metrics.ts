import { readProviderSlots } from "@veoq/pipeline";
import { defineRedisGauges, redisGaugeSet } from "./redis-gauges.ts";

type ProviderSlots = Awaited<ReturnType<typeof readProviderSlots>>;

/**
 * Gauges read on scrape from the provider-slot records (all API keys under the prefix, summed):
 * `veoq_provider_in_flight_cap` (the effective cap after AIMD), `veoq_provider_in_flight_max`
 * (VEOQ_MAX_IN_FLIGHT) and `veoq_provider_slots_in_use`. A Redis that does not answer within
 * `timeoutMs` (default 2000) leaves them out of the scrape (see `veoq_redis_up`) instead of
 * holding the scrape until it answers; no series while no API key has a slot record.
 */
export const registerProviderSlotMetrics = defineRedisGauges((store) => {
  const gauge = (name: string, help: string, pick: (u: ProviderSlots) => number) => ({
    name,
    help,
    set: (g: { set: (value: number) => void }, usage: ProviderSlots) => {
      if (usage.accounts > 0) g.set(pick(usage));
    },
  });
  return [
    redisGaugeSet(
      () => readProviderSlots(store.redis, store.prefix),
      [
        gauge(
          "veoq_provider_in_flight_cap",
          "Effective cap on tasks in flight at the provider (lowered on concurrency 429s, grown back slowly)",
          (u) => u.cap,
        ),
        gauge(
          "veoq_provider_in_flight_max",
          "Configured maximum of tasks in flight at the provider (VEOQ_MAX_IN_FLIGHT)",
          (u) => u.max,
        ),
        gauge(
          "veoq_provider_slots_in_use",
          "Provider slots held by tasks in flight",
          (u) => u.inUse,
        ),
      ],
    ),
  ];
});
