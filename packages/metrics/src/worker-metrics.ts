import { QUEUE_ROLES, type RedisConnection, WorkerRegistry } from "@veoq/pipeline";
import { Gauge, type Registry } from "prom-client";
import { withTimeout } from "./with-timeout.ts";

/**
 * `veoq_workers{role}`, read on scrape from the heartbeat records (records/worker-registry.ts):
 * live worker processes per role, 0 for a role none works on, so an alert can fire on
 * `veoq_workers{role="submit"} == 0`. A Redis that does not answer in time leaves it out of the
 * scrape (see `veoq_redis_up`).
 */
export function registerWorkerMetrics(
  registry: Registry,
  redis: RedisConnection,
  prefix: string,
  options: { timeoutMs?: number } = {},
): void {
  const timeoutMs = options.timeoutMs ?? 2000;
  const workers = new WorkerRegistry(redis, prefix);
  new Gauge({
    name: "veoq_workers",
    help: "Live worker processes (heartbeat record not expired) per role",
    labelNames: ["role"],
    registers: [registry],
    async collect() {
      this.reset();
      const live = await withTimeout(workers.list(), timeoutMs).catch(() => undefined);
      if (live === undefined) return;
      for (const role of QUEUE_ROLES) {
        this.set({ role }, live.filter((w) => w.roles.includes(role)).length);
      }
    },
  });
}
