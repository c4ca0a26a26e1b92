import path from "node:path";
import { startLocalCluster, startLocalRedis, startLocalSentinel } from "@veoq/local-redis";

/** Which Redis a chaos run starts: one server, a 3+3 cluster, or a Sentinel group. */
export type ChaosRedisKind = "standalone" | "cluster" | "sentinel";

/** The Redis of a chaos run and its one disruption. */
export interface ChaosRedis {
  kind: ChaosRedisKind;
  /** The REDIS_* variables that point veoq at it. */
  env: Record<string, string>;
  /** One line for the progress log. */
  description: string;
  /**
   * The disruption: standalone SIGKILL then restart after downMs; cluster SIGKILL of the master
   * owning `key` (its replica takes over) then restart of the killed node as a replica; Sentinel
   * SIGKILL of the master (the sentinels promote a replica) then restart of the old master.
   */
  disrupt(key: string, downMs: number): Promise<string>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startChaosRedis(kind: ChaosRedisKind, dataDir: string): Promise<ChaosRedis> {
  switch (kind) {
    case "standalone": {
      const redis = await startLocalRedis({ dataDir });
      return {
        kind,
        env: { REDIS_URL: redis.url },
        description: `redis ${redis.url} (AOF, ${redis.dataDir})`,
        disrupt: async (_key, downMs) => {
          await redis.kill();
          await sleep(downMs);
          await redis.restart();
          return `SIGKILL redis ${redis.port}, restarted`;
        },
        stop: () => redis.stop(),
      };
    }
    case "cluster": {
      const cluster = await startLocalCluster({ dataDir });
      return {
        kind,
        env: { REDIS_URL: "", REDIS_CLUSTER_NODES: cluster.seeds },
        description: `redis cluster ${cluster.seeds} (3 masters + 3 replicas, AOF)`,
        disrupt: async (key, downMs) => {
          const owner = await cluster.ownerOfKey(key);
          const successor = await cluster.killMaster(owner);
          await sleep(downMs);
          await cluster.nodes.find((n) => n.port === owner)?.restart();
          await cluster.waitHealthy();
          return `SIGKILL cluster master ${owner}; replica ${successor} took over; ${owner} back as replica`;
        },
        stop: () => cluster.stop(),
      };
    }
    case "sentinel": {
      const group = await startLocalSentinel({ dataDir });
      return {
        kind,
        env: {
          REDIS_URL: "",
          REDIS_SENTINELS: group.sentinels,
          REDIS_SENTINEL_NAME: group.masterName,
        },
        description: `redis sentinel group "${group.masterName}" via ${group.sentinels} (1 master, 2 replicas)`,
        disrupt: async (_key, downMs) => {
          const before = await group.masterPort();
          const server = group.servers.find((s) => s.port === before);
          await server?.kill();
          const after = await group.waitForNewMaster(before);
          await sleep(downMs);
          await server?.restart();
          return `SIGKILL sentinel master ${before}; sentinels promoted ${after}; ${before} back as replica`;
        },
        stop: () => group.stop(),
      };
    }
  }
}

export function chaosRedisDataDir(workDir: string): string {
  return path.join(workDir, "redis");
}
