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

/** A master whose replicas did not confirm this connection's writes in time. */
export interface UnreplicatedMaster {
  /** host:port of the master. */
  node: string;
  /** Replicas connected to it. */
  replicas: number;
}

/**
 * Waits until at least one replica of every master that has replicas holds every write this
 * connection made (Redis WAIT, per master connection: WAIT counts the writes of the connection
 * it runs on). Redis replicates asynchronously, so without this a master killed right after
 * answering could take acknowledged writes with it and its promoted replica would not know them.
 * A master without replicas (a single server) has nothing to wait for. Returns the masters whose
 * replicas did not confirm within timeoutMs: the writes are there, but a failover now could lose
 * them.
 */
export async function waitForReplicas(
  redis: RedisConnection,
  timeoutMs: number,
): Promise<UnreplicatedMaster[]> {
  const masters = await eachMaster(redis);
  const results = await Promise.all(masters.map((node) => waitOnMaster(node, timeoutMs)));
  return results.filter((r): r is UnreplicatedMaster => r !== undefined);
}

async function waitOnMaster(
  node: Redis,
  timeoutMs: number,
): Promise<UnreplicatedMaster | undefined> {
  const info = await node.info("replication");
  const replicas = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? "0");
  if (replicas === 0) return undefined;
  const acknowledged = await node.wait(1, timeoutMs);
  if (acknowledged >= 1) return undefined;
  return { node: connectedAddress(node), replicas };
}

/** Where the connection is: a Sentinel-managed one has no host/port of its own in its options. */
function connectedAddress(node: Redis): string {
  const { remoteAddress, remotePort } = node.stream ?? {};
  return remoteAddress !== undefined && remotePort !== undefined
    ? `${remoteAddress}:${remotePort}`
    : `${node.options.host}:${node.options.port}`;
}
