import { spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import {
  copyRedisConfig,
  infoField,
  type RedisProcess,
  sendRedisCommand,
  spawnRedisProcess,
  waitUntil,
} from "./redis-process.ts";
import { isRedisServerInstalled, RedisServerNotFoundError } from "./start-local-redis.ts";

export interface LocalClusterOptions {
  /** Parent folder; each node gets `<dataDir>/node-<port>`. */
  dataDir: string;
  /** Masters; default 3. Each gets one replica. */
  masters?: number;
  /** cluster-node-timeout (ms): how long a silent master lasts before its replica takes over; default 1000. */
  nodeTimeoutMs?: number;
  startTimeoutMs?: number;
}

export interface LocalClusterNode extends RedisProcess {
  /** "master" or "replica", as the node says now. */
  role(): Promise<"master" | "replica" | "unknown">;
}

export interface LocalCluster {
  /** `host:port,host:port,...` of every node: what REDIS_CLUSTER_NODES takes. */
  seeds: string;
  nodes: LocalClusterNode[];
  /** Ports of the nodes that are masters now (asks each running node). */
  masterPorts(): Promise<number[]>;
  /** Ports of the masters that own at least one slot, by slot range owner, from CLUSTER NODES. */
  slotOwnerPorts(): Promise<number[]>;
  /** Waits until every running node reports cluster_state:ok and each slot has a running master. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** SIGKILLs a master, waits until its replica has taken over its slots; returns the replica's port. */
  killMaster(port: number): Promise<number>;
  /** Asks a replica of the given master to take over (CLUSTER FAILOVER) and waits for it. */
  failover(masterPort: number): Promise<number>;
  /** Port of the master that owns key's slot now. */
  ownerOfKey(key: string): Promise<number>;
  /** Stops every node. */
  stop(): Promise<void>;
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function findFreeClusterPort(taken: Set<number>): Promise<number> {
  const isFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.unref();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
  for (let tries = 0; tries < 200; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
  throw new Error("no free port pair for a cluster node");
}

function runRedisCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-cli", args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d.toString();
    });
    child.stderr.on("data", (d) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`redis-cli ${args[0]} failed: ${output}`)),
    );
  });
}

/** Ports of the masters that own slots and are not marked failed, from a CLUSTER NODES reply. */
function slotOwners(reply: string): number[] {
  const ports = new Set<number>();
  for (const line of reply.split("\n")) {
    const fields = line.trim().split(" ");
    const flags = fields[2]?.split(",") ?? [];
    if (fields.length < 9 || !flags.includes("master") || flags.some((f) => f.startsWith("fail")))
      continue;
    const port = Number(/:(\d+)@/.exec(fields[1] ?? "")?.[1]);
    if (port > 0) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * Starts a Redis Cluster of `masters` masters with one replica each (AOF on, veoq's redis.conf),
 * joined with `redis-cli --cluster create --cluster-replicas 1`, for tests and chaos runs.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  if (!isRedisServerInstalled()) throw new RedisServerNotFoundError();
  const masters = options.masters ?? 3;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1_000;
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const taken = new Set<number>();
  const nodes: LocalClusterNode[] = [];
  try {
    for (let i = 0; i < masters * 2; i++) {
      const port = await findFreeClusterPort(taken);
      taken.add(port);
      taken.add(port + 10_000);
      const server = await spawnRedisProcess({
        port,
        dataDir: path.join(options.dataDir, `node-${port}`),
        args: [
          copyRedisConfig(path.join(options.dataDir, `node-${port}`)),
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          "nodes.conf",
          "--cluster-node-timeout",
          String(nodeTimeoutMs),
          // A replica that lost its master for a while may still take over: tests kill masters.
          "--cluster-replica-validity-factor",
          "0",
        ],
        startTimeoutMs,
      });
      nodes.push({
        ...server,
        role: async () => {
          const role = infoField(await sendRedisCommand(port, "INFO replication"), "role");
          return role === "master" ? "master" : role === "slave" ? "replica" : "unknown";
        },
      });
    }
    await runRedisCli([
      "--cluster",
      "create",
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      "--cluster-replicas",
      "1",
      "--cluster-yes",
    ]);
  } catch (error) {
    await Promise.all(nodes.map((n) => n.kill()));
    throw error;
  }

  const running = () => nodes.filter((n) => n.isRunning());
  const slotOwnerPorts = async () => {
    for (const node of running()) {
      try {
        return slotOwners(await sendRedisCommand(node.port, "CLUSTER NODES"));
      } catch {}
    }
    return [];
  };
  const isHealthy = async () => {
    for (const node of running()) {
      const info = await sendRedisCommand(node.port, "CLUSTER INFO");
      if (infoField(info, "cluster_state") !== "ok") return false;
    }
    const owners = await slotOwnerPorts();
    const alive = new Set(running().map((n) => n.port));
    return owners.length === masters && owners.every((p) => alive.has(p));
  };
  const waitHealthy = (timeoutMs = 20_000) => waitUntil(isHealthy, timeoutMs, "a healthy cluster");
  await waitHealthy();
  // Replicas must be in sync before a test kills a master, or the takeover loses writes.
  await waitUntil(
    async () => {
      for (const node of running()) {
        const info = await sendRedisCommand(node.port, "INFO replication");
        if (infoField(info, "role") === "slave" && infoField(info, "master_link_status") !== "up")
          return false;
      }
      return true;
    },
    startTimeoutMs,
    "replicas in sync",
  );

  const replicaOf = async (masterPort: number) => {
    for (const node of running()) {
      const info = await sendRedisCommand(node.port, "INFO replication");
      if (
        infoField(info, "role") === "slave" &&
        infoField(info, "master_port") === String(masterPort)
      )
        return node;
    }
    throw new Error(`no replica of 127.0.0.1:${masterPort}`);
  };

  return {
    seeds: nodes.map((n) => `127.0.0.1:${n.port}`).join(","),
    nodes,
    masterPorts: async () => {
      const ports: number[] = [];
      for (const node of running()) if ((await node.role()) === "master") ports.push(node.port);
      return ports;
    },
    slotOwnerPorts,
    waitHealthy,
    killMaster: async (port) => {
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`no node on port ${port}`);
      const replica = await replicaOf(port);
      await node.kill();
      await waitUntil(
        async () => (await slotOwnerPorts()).includes(replica.port),
        20_000,
        `replica ${replica.port} to take over from ${port}`,
      );
      await waitHealthy();
      return replica.port;
    },
    failover: async (masterPort) => {
      const replica = await replicaOf(masterPort);
      await sendRedisCommand(replica.port, "CLUSTER FAILOVER");
      await waitUntil(
        async () => (await replica.role()) === "master",
        20_000,
        `replica ${replica.port} to become master`,
      );
      await waitHealthy();
      return replica.port;
    },
    ownerOfKey: async (key) => {
      const node = running()[0];
      if (node === undefined) throw new Error("no node running");
      const slot = Number(
        /:(\d+)/.exec(await sendRedisCommand(node.port, `CLUSTER KEYSLOT ${key}`))?.[1],
      );
      const reply = await sendRedisCommand(node.port, "CLUSTER NODES");
      for (const line of reply.split("\n")) {
        const fields = line.trim().split(" ");
        const flags = fields[2]?.split(",") ?? [];
        if (!flags.includes("master") || flags.some((f) => f.startsWith("fail"))) continue;
        for (const range of fields.slice(8)) {
          const [from, to] = range.split("-").map(Number);
          if (from !== undefined && slot >= from && slot <= (to ?? from)) {
            return Number(/:(\d+)@/.exec(fields[1] ?? "")?.[1]);
          }
        }
      }
      throw new Error(`no master owns slot ${slot}`);
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
