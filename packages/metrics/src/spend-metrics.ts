import { PAUSE_REASONS } from "@veoq/pipeline";
import { defineRedisGauges, redisGaugeSet } from "./redis-gauges.ts";

/** Batches looked at for pauses (the newest), so a scrape stays bounded. */
const MAX_BATCHES = 1000;

/**
 * Gauges read on scrape: `veoq_spend_reserved` (money reserved by creates under way, in the price
 * table's currency) and `veoq_batches_paused{reason}` (user, budget, daily_budget) and
 * `veoq_batches_cancelled`, over the newest batches. A Redis that does not answer in time leaves
 * them out of the scrape (see `veoq_redis_up`).
 */
export const registerSpendMetrics = defineRedisGauges((store) => {
  const { spend: ledger, control } = store;
  return [
    redisGaugeSet(
      () => ledger.reservedTotal(),
      [
        {
          name: "veoq_spend_reserved",
          help: "Money reserved by creates under way across batches, in the price table's currency",
          set: (gauge, micros) => gauge.set(micros / 1_000_000),
        },
      ],
    ),
    redisGaugeSet(
      async () => control.readMany(await store.listBatchIds(MAX_BATCHES)),
      [
        {
          name: "veoq_batches_paused",
          help: "Batches paused, by reason (user: veoq pause; budget; daily_budget: VEOQ_DAILY_BUDGET)",
          labelNames: ["reason"],
          set(gauge, states) {
            for (const reason of PAUSE_REASONS) {
              gauge.set(
                { reason },
                states.filter((s) => s.state === "paused" && s.reason === reason).length,
              );
            }
          },
        },
        {
          name: "veoq_batches_cancelled",
          help: "Batches cancelled by veoq cancel",
          set: (gauge, states) => gauge.set(states.filter((s) => s.state === "cancelled").length),
        },
      ],
    ),
  ];
});
