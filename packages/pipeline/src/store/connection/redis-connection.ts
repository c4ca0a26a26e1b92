import { describeRedisTarget, type RedisTarget } from "@veoq/config";
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";

export type ConnectionRole = "worker" | "producer";

/** A connection to a standalone Redis, a Sentinel-managed master, or a Redis Cluster. */
export type RedisConnection = Redis | Cluster;

/** Replies that mean the command went to a node that cannot take it now: after a failover. */
const SWITCHED_NODE_REPLY = /^(READONLY|LOADING|MASTERDOWN)\b/;

/**
 * How long a producer waits for Redis to answer one command (ms). A Redis that accepts the
 * connection but never answers (stopped, overloaded, a dead proxy) would otherwise hold
 * `status`, `enqueue` and the other producer commands forever.
 */
export const PRODUCER_COMMAND_TIMEOUT_MS = 10_000;

function roleOptions(role: ConnectionRole): RedisOptions {
  return role === "worker"
    ? { maxRetriesPerRequest: null, enableReadyCheck: true }
    : {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: true,
        connectTimeout: 5_000,
        commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS,
        retryStrategy: (times) => (times > 3 ? null : Math.min(times * 200, 1_000)),
      };
}

/**
 * One ioredis connection per purpose, to wherever config.redis says Redis is. Workers wait out
 * Redis restarts and failovers (BullMQ needs maxRetriesPerRequest: null on blocking
 * connections); producers fail fast with a clear error instead of queueing commands while Redis
 * is away. A Sentinel-managed connection follows the master (failoverDetector) and, when a
 * command meets the old master turned replica (READONLY), reconnects and resends it. A cluster
 * connection follows MOVED/ASK and retries commands that met a failover in progress.
 */
export function createRedisConnection(target: string, role: ConnectionRole): Redis;
export function createRedisConnection(target: RedisTarget, role: ConnectionRole): RedisConnection;
export function createRedisConnection(
  target: RedisTarget | string,
  role: ConnectionRole,
): RedisConnection {
  const options = roleOptions(role);
  if (typeof target === "string") return new Redis(target, { ...options, lazyConnect: false });
  const { auth } = target;
  const credentials: RedisOptions = {
    ...(auth.username === undefined ? {} : { username: auth.username }),
    ...(auth.password === undefined ? {} : { password: auth.password }),
    ...(auth.tls ? { tls: {} } : {}),
  };
  switch (target.kind) {
    case "standalone":
      return new Redis(target.url, { ...credentials, ...options, lazyConnect: false });
    case "sentinel":
      return new Redis({
        ...credentials,
        ...options,
        sentinels: target.sentinels,
        name: target.name,
        role: "master",
        failoverDetector: true,
        ...(auth.sentinelPassword === undefined ? {} : { sentinelPassword: auth.sentinelPassword }),
        ...(auth.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
        // The old master answers READONLY once demoted: reconnect (to the new master) and resend.
        reconnectOnError: (error) => (SWITCHED_NODE_REPLY.test(error.message) ? 2 : false),
        lazyConnect: false,
      });
    case "cluster": {
      const { retryStrategy, ...nodeOptions } = options;
      const clusterOptions: ClusterOptions = {
        redisOptions: {
          ...credentials,
          ...nodeOptions,
          reconnectOnError: (error) => (SWITCHED_NODE_REPLY.test(error.message) ? 2 : false),
        },
        // Not the cluster ready check: when it meets `cluster_state:fail` (a failover under way)
        // ioredis 5.11 reconnects with a new connect() and never settles the pending one, so a
        // BullMQ worker that reconnects its blocking connection then waits forever (a stuck
        // stage after a master kill). Without it, commands sent while the cluster is down get
        // CLUSTERDOWN and are retried (retryDelayOnClusterDown).
        enableReadyCheck: false,
        scaleReads: "master",
        maxRedirections: 32,
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 300,
        retryDelayOnTryAgain: 200,
        slotsRefreshTimeout: 2_000,
        ...(nodeOptions.enableOfflineQueue === undefined
          ? {}
          : { enableOfflineQueue: nodeOptions.enableOfflineQueue }),
        ...(retryStrategy === undefined ? {} : { clusterRetryStrategy: retryStrategy }),
        // TLS certificates name hosts, not the IPs the cluster announces.
        ...(auth.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
        lazyConnect: false,
      };
      return new Cluster(target.nodes, clusterOptions);
    }
  }
}

/** Says where Redis is without the password that a URL may carry. */
export function describeRedisUrl(url: string): string {
  return describeRedisTarget({
    kind: "standalone",
    env: "REDIS_URL",
    url,
    auth: { username: undefined, password: undefined, sentinelPassword: undefined, tls: false },
  });
}

/** The connections that hold a cluster's data: each master of a cluster, or the one connection. */
export async function eachMaster(redis: RedisConnection): Promise<Redis[]> {
  if (redis instanceof Cluster) {
    if (redis.status !== "ready") await new Promise((r) => redis.once("ready", r));
    return redis.nodes("master");
  }
  return [redis];
}

/**
 * Every key matching pattern, on every master (SCAN on a cluster connection would read one
 * random node). Yields each key once per master that holds it.
 */
export async function* scanEveryMaster(
  redis: RedisConnection,
  pattern: string,
): AsyncGenerator<string> {
  for (const node of await eachMaster(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      yield* keys;
    } while (cursor !== "0");
  }
}
