import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  copyRedisConfig,
  infoField,
  type RedisProcess,
  sendRedisCommand,
  spawnRedisProcess,
  waitUntil,
} from "./redis-process.ts";
import {
  findFreePort,
  isRedisServerInstalled,
  RedisServerNotFoundError,
} from "./start-local-redis.ts";

export interface LocalSentinelOptions {
  /** Parent folder; each server gets its own subfolder. */
  dataDir: string;
  /** Name the sentinels monitor the master under; default "veoq". */
  masterName?: string;
  /** Replicas of the master; default 2. */
  replicas?: number;
  /** Sentinels; default 3 (quorum 2). */
  sentinels?: number;
  startTimeoutMs?: number;
}

export interface LocalSentinelGroup {
  masterName: string;
  /** `host:port,...` of the sentinels: what REDIS_SENTINELS takes. */
  sentinels: string;
  sentinelProcesses: RedisProcess[];
  /** The master first, then the replicas. */
  servers: RedisProcess[];
  /** Port of the current master, as the first running sentinel says. */
  masterPort(): Promise<number>;
  /** Waits until the sentinels name a master other than `oldPort` and it answers as master. */
  waitForNewMaster(oldPort: number): Promise<number>;
  /** SENTINEL FAILOVER, then waits until a replica is master and the sentinels agree. */
  failover(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts one master, its replicas and a group of sentinels watching it (AOF on, veoq's
 * redis.conf), for tests and chaos runs. Sentinels notice a dead master after 1 s.
 */
export async function startLocalSentinel(
  options: LocalSentinelOptions,
): Promise<LocalSentinelGroup> {
  if (!isRedisServerInstalled()) throw new RedisServerNotFoundError();
  const masterName = options.masterName ?? "veoq";
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const servers: RedisProcess[] = [];
  const sentinelProcesses: RedisProcess[] = [];
  const stopAll = () => Promise.all([...sentinelProcesses, ...servers].map((p) => p.stop()));
  try {
    const masterPort = await findFreePort();
    servers.push(
      await spawnRedisProcess({
        port: masterPort,
        dataDir: path.join(options.dataDir, `server-${masterPort}`),
        args: [copyRedisConfig(path.join(options.dataDir, `server-${masterPort}`))],
        startTimeoutMs,
      }),
    );
    for (let i = 0; i < (options.replicas ?? 2); i++) {
      const port = await findFreePort();
      servers.push(
        await spawnRedisProcess({
          port,
          dataDir: path.join(options.dataDir, `server-${port}`),
          args: [
            copyRedisConfig(path.join(options.dataDir, `server-${port}`)),
            "--replicaof",
            "127.0.0.1",
            String(masterPort),
          ],
          startTimeoutMs,
        }),
      );
    }
    const count = options.sentinels ?? 3;
    const quorum = Math.floor(count / 2) + 1;
    for (let i = 0; i < count; i++) {
      const port = await findFreePort();
      const dir = path.join(options.dataDir, `sentinel-${port}`);
      mkdirSync(dir, { recursive: true });
      const conf = path.join(dir, "sentinel.conf");
      writeFileSync(
        conf,
        [
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${quorum}`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 10000`,
          `sentinel parallel-syncs ${masterName} 1`,
          "",
        ].join("\n"),
      );
      sentinelProcesses.push(
        await spawnRedisProcess({ port, dataDir: dir, args: [conf, "--sentinel"], startTimeoutMs }),
      );
    }
    // Ready when every sentinel knows the replicas and the other sentinels.
    await waitUntil(
      async () => {
        for (const sentinel of sentinelProcesses) {
          const reply = await sendRedisCommand(sentinel.port, `SENTINEL MASTER ${masterName}`);
          const lines = reply.split("\r\n");
          const value = (name: string) => lines[lines.indexOf(name) + 2];
          if (value("num-slaves") !== String(servers.length - 1)) return false;
          if (value("num-other-sentinels") !== String(count - 1)) return false;
        }
        for (const replica of servers.slice(1)) {
          const info = await sendRedisCommand(replica.port, "INFO replication");
          if (infoField(info, "master_link_status") !== "up") return false;
        }
        return true;
      },
      30_000,
      "sentinels to discover the replicas and each other",
    );
  } catch (error) {
    await stopAll();
    throw error;
  }

  const masterPort = async () => {
    for (const sentinel of sentinelProcesses.filter((s) => s.isRunning())) {
      const reply = await sendRedisCommand(
        sentinel.port,
        `SENTINEL GET-MASTER-ADDR-BY-NAME ${masterName}`,
      ).catch(() => "");
      const port = Number(reply.split("\r\n")[4]);
      if (port > 0) return port;
    }
    throw new Error("no sentinel answers");
  };

  const waitForNewMaster = async (oldPort: number) => {
    let after = oldPort;
    await waitUntil(
      async () => {
        after = await masterPort();
        if (after === oldPort) return false;
        const info = await sendRedisCommand(after, "INFO replication");
        return infoField(info, "role") === "master";
      },
      30_000,
      "the sentinels to promote a replica",
    );
    return after;
  };

  return {
    masterName,
    sentinels: sentinelProcesses.map((s) => `127.0.0.1:${s.port}`).join(","),
    sentinelProcesses,
    servers,
    masterPort,
    waitForNewMaster,
    failover: async () => {
      const before = await masterPort();
      const sentinel = sentinelProcesses.find((s) => s.isRunning());
      if (!sentinel) throw new Error("no sentinel running");
      await sendRedisCommand(sentinel.port, `SENTINEL FAILOVER ${masterName}`);
      return waitForNewMaster(before);
    },
    stop: async () => {
      await stopAll();
    },
  };
}
