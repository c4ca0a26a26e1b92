import { QUEUE_ROLES, WorkerRegistry } from "@veoq/pipeline";
import { defineRedisGauges, redisGaugeSet } from "./redis-gauges.ts";

/**
 * `veoq_workers{role}`, read on scrape from the heartbeat records (store/worker-registry.ts):
 * live worker processes per role, 0 for a role none works on, so an alert can fire on
 * `veoq_workers{role="submit"} == 0`. A Redis that does not answer in time leaves it out of the
 * scrape (see `veoq_redis_up`).
 */
export const registerWorkerMetrics = defineRedisGauges((redis, prefix) => {
  const workers = new WorkerRegistry(redis, prefix);
  return [
    redisGaugeSet(
      () => workers.list(),
      [
        {
          name: "veoq_workers",
          help: "Live worker processes (heartbeat record not expired) per role",
          labelNames: ["role"],
          set(gauge, live) {
            for (const role of QUEUE_ROLES) {
              gauge.set({ role }, live.filter((w) => w.roles.includes(role)).length);
            }
          },
        },
      ],
    ),
  ];
});
