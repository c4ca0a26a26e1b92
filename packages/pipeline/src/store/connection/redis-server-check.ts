import { describeRedisTarget, type RedisTarget } from "@veoq/config";
import { Cluster, Redis } from "ioredis";
import { previousLayoutBatchKey, QUEUE_NAMES, queuePrefix, recordKeys } from "../keys.ts";
import { createRedisConnection, eachMaster, type RedisConnection } from "./redis-connection.ts";

/*
 * Checks of the Redis a process connected to: whether it is what the configuration says
 * (`checkRedisSetup`, with the refusal of the previous key layout), whether it could lose
 * acknowledged writes (`checkRedisDurability`: eviction, persistence), and whether its replicas
 * took this connection's writes (`waitForReplicas`).
 */

/**
 * Redis is reachable but set up unlike what the configuration says (a cluster node given as
 * REDIS_URL, a replica, a sentinel's port, a cluster without hash tags). Retrying cannot help:
 * the process says so in one line naming the variable and stops.
 */
export class RedisSetupError extends Error {
  override name = "RedisSetupError";
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(\\S+)`, "m").exec(info)?.[1];
}

/**
 * The one-line explanation of a Redis reply that means the setup is wrong (MOVED, ASK,
 * CROSSSLOT, READONLY on a connection that cannot follow it), or undefined for any other error.
 */
export function redisSetupProblem(error: unknown, target: RedisTarget): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const reply = error.message;
  const where = describeRedisTarget(target);
  if (/^(MOVED|ASK) /.test(reply) && target.kind !== "cluster") {
    return `${target.env} (${where}) names one node of a Redis Cluster, which answered ${reply.split(" ")[0]}: set REDIS_CLUSTER_NODES=host:port,host:port to a few of its nodes instead of ${target.env}`;
  }
  if (/^CROSSSLOT /.test(reply)) {
    return "Redis Cluster refused a command whose keys are on different slots (CROSSSLOT): VEOQ_PREFIX must hold a hash tag in braces, such as {veoq}";
  }
  if (/^READONLY /.test(reply) && target.kind === "standalone") {
    return `REDIS_URL (${where}) names a read-only replica: point REDIS_URL at the master, or use REDIS_SENTINELS with REDIS_SENTINEL_NAME so veoq follows failovers`;
  }
  if (/cluster support disabled/i.test(reply) && target.kind === "cluster") {
    return `REDIS_CLUSTER_NODES (${where}) names a Redis that is not in cluster mode: use REDIS_URL for a standalone Redis`;
  }
  return undefined;
}

/**
 * Checks at start that Redis is what the configuration says, over a short-lived connection that
 * gives up quickly: a standalone REDIS_URL must be a master in standalone mode (not a cluster
 * node, not a replica, not a sentinel); cluster seeds must be cluster nodes and VEOQ_PREFIX must
 * hold a hash tag (BullMQ keeps each queue in one slot); and Redis must not hold records of the
 * previous key layout (redis-server-check.ts). Throws a RedisSetupError naming the
 * variable to change; a Redis that is simply down is left to the caller's own error.
 */
export async function checkRedisSetup(
  target: RedisTarget,
  prefix: string,
  /** A producer connection already open (and answering) to use instead of a new one. */
  existing?: RedisConnection,
): Promise<void> {
  if (target.kind === "cluster" && !/\{[^{}]+\}/.test(prefix)) {
    throw new RedisSetupError(
      `VEOQ_PREFIX ${JSON.stringify(prefix)} has no hash tag: on a Redis Cluster it must hold one in braces, such as {veoq}`,
    );
  }
  const probe: RedisConnection = existing ?? createRedisConnection(target, "producer");
  if (existing === undefined) probe.on("error", () => {});
  const where = describeRedisTarget(target);
  try {
    let info: string;
    try {
      info = await probe.info();
    } catch (error) {
      const problem = redisSetupProblem(error, target);
      if (problem !== undefined) throw new RedisSetupError(problem);
      if (target.kind === "cluster" && probe instanceof Cluster) {
        // ioredis hides the node's answer behind "Failed to refresh slots cache".
        const first = target.nodes[0];
        if (first !== undefined) await checkIsClusterNode(first, target);
      }
      throw error;
    }
    const mode = infoField(info, "redis_mode");
    if (target.kind === "standalone" && mode === "cluster") {
      throw new RedisSetupError(
        `REDIS_URL (${where}) names a node of a Redis Cluster: set REDIS_CLUSTER_NODES=host:port,host:port to a few of its nodes instead of REDIS_URL`,
      );
    }
    if (mode === "sentinel") {
      throw new RedisSetupError(
        `${target.env} (${where}) is a Redis Sentinel, not a Redis server: set REDIS_SENTINELS to the sentinels and REDIS_SENTINEL_NAME to the master's name instead`,
      );
    }
    if (target.kind === "standalone" && infoField(info, "role") === "slave") {
      throw new RedisSetupError(
        `REDIS_URL (${where}) names a read-only replica: point REDIS_URL at the master, or use REDIS_SENTINELS with REDIS_SENTINEL_NAME so veoq follows failovers`,
      );
    }
    const layout = await previousKeyLayoutProblem(probe, prefix);
    if (layout !== undefined) throw new RedisSetupError(layout);
  } finally {
    if (existing === undefined) probe.disconnect();
  }
}

async function checkIsClusterNode(
  node: { host: string; port: number },
  target: RedisTarget,
): Promise<void> {
  const single = new Redis({
    host: node.host,
    port: node.port,
    ...(target.auth.username === undefined ? {} : { username: target.auth.username }),
    ...(target.auth.password === undefined ? {} : { password: target.auth.password }),
    ...(target.auth.tls ? { tls: {} } : {}),
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    connectTimeout: 3_000,
  });
  single.on("error", () => {});
  try {
    const info = await single.info("server").catch(() => undefined);
    const mode = info === undefined ? undefined : infoField(info, "redis_mode");
    if (mode !== undefined && mode !== "cluster") {
      throw new RedisSetupError(
        `REDIS_CLUSTER_NODES (${describeRedisTarget(target)}) names a Redis in ${mode} mode, not a cluster node: ${mode === "sentinel" ? "use REDIS_SENTINELS with REDIS_SENTINEL_NAME" : "use REDIS_URL"} instead`,
      );
    }
  } finally {
    single.disconnect();
  }
}

/**
 * `checkRedisSetup` for a long-running process (workers, the dashboard): a wrong setup still
 * throws, but a Redis that is simply down (a restart, a failover) is reported to `unreachable`
 * and left to the process's own connections, which wait for it; the first MOVED or READONLY
 * they meet is still caught at run time.
 */
export async function checkRedisSetupUnlessDown(
  target: RedisTarget,
  prefix: string,
  unreachable: (error: unknown) => void,
): Promise<void> {
  try {
    await checkRedisSetup(target, prefix);
  } catch (error) {
    if (error instanceof RedisSetupError) throw error;
    unreachable(error);
  }
}

/** How many of the newest batches the start-up check looks at for records of the old layout. */
const BATCHES_SAMPLED = 20;

/** Where the README says how to move a Redis from the previous key layout. */
export const KEY_LAYOUT_README = 'README.md, section "Moving from the single-slot key layout"';

/**
 * The one-line problem when Redis still holds batch records of the layout before keys were
 * spread (every record under the prefix's one hash tag, `<prefix>:batch:<id>`), or undefined. The
 * current version would not see those batches' items (it reads `{<prefix>:b:<id>}:...`), so
 * the process must stop rather than split the deployment into two worlds. It looks at the
 * newest batches of the batch list, whose key is the same in both layouts; all reads are
 * single-key, so this works on a cluster as well.
 */
export async function previousKeyLayoutProblem(
  redis: RedisConnection,
  prefix: string,
): Promise<string | undefined> {
  for (const role of ["poll", "download"] as const) {
    const old = `${prefix}:${QUEUE_NAMES[role]}:meta`;
    if ((await redis.exists(old)) === 1) {
      return `Redis holds the ${role} queue in the previous key layout (key ${old}); this version keeps it under ${queuePrefix(prefix, role)} and would not see its jobs: finish or drain old batches with the previous veoq version first, see ${KEY_LAYOUT_README}`;
    }
  }
  const ids = await redis.zrevrange(recordKeys(prefix).batches, 0, BATCHES_SAMPLED - 1);
  for (const id of ids) {
    const old = previousLayoutBatchKey(prefix, id);
    if ((await redis.exists(old)) === 1) {
      return `Redis holds batch ${JSON.stringify(id)} in the previous key layout (key ${old}); this version keeps batch records under per-batch hash tags and would not see it: finish or drain old batches with the previous veoq version first, see ${KEY_LAYOUT_README}`;
    }
  }
  return undefined;
}

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
