import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { REDIS_CONF_PATH, spawnRedisProcess } from "./redis-process.ts";

export { REDIS_CONF_PATH };

export class RedisServerNotFoundError extends Error {
  override name = "RedisServerNotFoundError";
  constructor() {
    super(
      "redis-server was not found on PATH. Install Redis (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`) or point veoq at a running one with REDIS_URL=redis://host:6379",
    );
  }
}

export interface LocalRedisOptions {
  /** Folder for the AOF and RDB files; created if missing. */
  dataDir: string;
  /** Port; default a free one. */
  port?: number;
  /** Config file; default infra/redis/redis.conf. */
  configFile?: string;
  /** How long to wait for it to answer PING (ms); default 10 s. */
  startTimeoutMs?: number;
}

export interface LocalRedis {
  url: string;
  port: number;
  dataDir: string;
  /** SIGKILL: no shutdown save; what the AOF kept is all that survives. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data dir (after kill or stop). */
  restart(): Promise<void>;
  /** Graceful SHUTDOWN via SIGTERM (after a `freeze`, `thaw` first). */
  stop(): Promise<void>;
  /** SIGSTOP: the port still accepts connections but nothing answers, until `thaw`. */
  freeze(): void;
  /** SIGCONT after `freeze`. */
  thaw(): void;
}

export function isRedisServerInstalled(): boolean {
  const probe = spawnSync("redis-server", ["--version"], { stdio: "ignore" });
  return probe.error === undefined && probe.status === 0;
}

/** A free TCP port on 127.0.0.1. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a private redis-server with AOF on, for the demo, tests, chaos runs and benchmarks. */
export async function startLocalRedis(options: LocalRedisOptions): Promise<LocalRedis> {
  if (!isRedisServerInstalled()) throw new RedisServerNotFoundError();
  const port = options.port ?? (await findFreePort());
  const dataDir = path.resolve(options.dataDir);
  const server = await spawnRedisProcess({
    port,
    dataDir,
    args: [options.configFile ?? REDIS_CONF_PATH],
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dataDir,
    kill: server.kill,
    stop: server.stop,
    freeze: server.freeze,
    thaw: server.thaw,
    restart: server.restart,
  };
}
