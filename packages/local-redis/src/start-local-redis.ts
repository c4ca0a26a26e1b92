import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** infra/redis/redis.conf: the settings veoq wants (AOF everysec, noeviction). */
export const REDIS_CONF_PATH = fileURLToPath(
  new URL("../../../infra/redis/redis.conf", import.meta.url),
);

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

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Starts a private redis-server with AOF on, for the demo, tests, chaos runs and benchmarks. */
export async function startLocalRedis(options: LocalRedisOptions): Promise<LocalRedis> {
  if (!isRedisServerInstalled()) throw new RedisServerNotFoundError();
  const port = options.port ?? (await findFreePort());
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const configFile = options.configFile ?? REDIS_CONF_PATH;
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  let child: ChildProcess | undefined;

  const launch = async () => {
    const proc = spawn(
      "redis-server",
      [
        configFile,
        "--port",
        String(port),
        "--dir",
        dataDir,
        "--daemonize",
        "no",
        "--logfile",
        "redis.log",
      ],
      { stdio: "ignore", cwd: dataDir },
    );
    child = proc;
    const exited = new Promise<never>((_, reject) => {
      proc.once("exit", (code) =>
        reject(
          new Error(
            `redis-server exited with code ${code} (see ${path.join(dataDir, "redis.log")})`,
          ),
        ),
      );
    });
    exited.catch(() => {});
    await Promise.race([
      waitFor(() => ping(port), timeoutMs, `redis-server on port ${port}`),
      exited,
    ]);
  };

  const terminate = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    await exited;
    child = undefined;
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dataDir,
    kill: () => terminate("SIGKILL"),
    stop: () => terminate("SIGTERM"),
    freeze: () => child?.kill("SIGSTOP"),
    thaw: () => child?.kill("SIGCONT"),
    restart: async () => {
      await terminate("SIGTERM");
      await launch();
    },
  };
}
