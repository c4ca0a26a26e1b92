import type { Redis } from "ioredis";
import { eachMaster, type RedisConnection } from "./redis-connection.ts";

/**
 * What about this Redis could lose jobs: an eviction policy other than noeviction (evicted jobs
 * vanish silently) and persistence off (a restart loses everything). Reads CONFIG GET and falls
 * back to INFO where CONFIG is disabled (managed Redis). Returns one readable warning per risk,
 * per master of a cluster (each master keeps its own part of the jobs).
 */
export async function checkRedisDurability(redis: RedisConnection): Promise<string[]> {
  const masters = await eachMaster(redis);
  const warnings: string[] = [];
  for (const node of masters) {
    const found = await checkNodeDurability(node);
    const where = masters.length > 1 ? `${node.options.host}:${node.options.port}: ` : "";
    warnings.push(...found.map((w) => `${where}${w}`));
  }
  return warnings;
}

async function checkNodeDurability(redis: Redis): Promise<string[]> {
  const warnings: string[] = [];
  let policy: string | undefined;
  let aof: string | undefined;
  let save: string | undefined;
  try {
    const [p, a, s] = await Promise.all([
      redis.config("GET", "maxmemory-policy") as Promise<string[]>,
      redis.config("GET", "appendonly") as Promise<string[]>,
      redis.config("GET", "save") as Promise<string[]>,
    ]);
    policy = p[1];
    aof = a[1];
    save = s[1];
  } catch {
    const info = await redis.info();
    policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
    aof = /aof_enabled:(\d)/.exec(info)?.[1] === "1" ? "yes" : "no";
  }
  if (policy !== undefined && policy !== "noeviction") {
    warnings.push(
      `Redis maxmemory-policy is ${policy}: under memory pressure Redis will silently delete jobs (paid renders). Set maxmemory-policy noeviction (see infra/redis/redis.conf).`,
    );
  }
  if (aof === "no") {
    warnings.push(
      save === undefined || save === ""
        ? "Redis has no persistence (appendonly no, no snapshots): a Redis restart loses every job. Set appendonly yes (see infra/redis/redis.conf)."
        : "Redis AOF is off (appendonly no): a crash loses the jobs written since the last snapshot. Set appendonly yes, appendfsync everysec (see infra/redis/redis.conf).",
    );
  }
  return warnings;
}
