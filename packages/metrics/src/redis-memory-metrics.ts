import { eachMaster, type RedisConnection } from "@veoq/pipeline";
import { Gauge, type Registry } from "prom-client";
import { withTimeout } from "./with-timeout.ts";

/**
 * `veoq_redis_memory_used_bytes{node}` and `veoq_redis_memory_max_bytes{node}` (maxmemory; 0 =
 * no limit), read on scrape from INFO memory of every master. Redis at maxmemory refuses writes
 * (veoq needs `noeviction`): jobs could not move, so an alert warns before it.
 */
export function registerRedisMemoryMetrics(
  registry: Registry,
  redis: RedisConnection,
  options: { timeoutMs?: number } = {},
): void {
  const timeoutMs = options.timeoutMs ?? 2000;
  type Memory = { node: string; used: number; max: number };
  let pending: Promise<Memory[] | undefined> | undefined;
  const snapshot = () => {
    pending ??= withTimeout(readMemory(redis), timeoutMs)
      .catch(() => undefined)
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  const gauge = (name: string, help: string, pick: (m: Memory) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["node"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const memory of (await snapshot()) ?? [])
          this.set({ node: memory.node }, pick(memory));
      },
    });
  gauge(
    "veoq_redis_memory_used_bytes",
    "Memory used by each Redis master (INFO used_memory)",
    (m) => m.used,
  );
  gauge(
    "veoq_redis_memory_max_bytes",
    "maxmemory of each Redis master (0: no limit)",
    (m) => m.max,
  );
}

async function readMemory(redis: RedisConnection) {
  const masters = await eachMaster(redis);
  return Promise.all(
    masters.map(async (node) => {
      const info = await node.info("memory");
      const field = (name: string) =>
        Number(info.match(new RegExp(`^${name}:(\\d+)`, "m"))?.[1] ?? 0);
      return {
        node: `${node.options.host ?? "?"}:${node.options.port ?? "?"}`,
        used: field("used_memory"),
        max: field("maxmemory"),
      };
    }),
  );
}
