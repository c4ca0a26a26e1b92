import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { createConnection } from "node:net";
import path from "node:path";
import { assetPath } from "@veoq/assets";

/** How long `stop` waits for a graceful SHUTDOWN before it kills the server (ms). */
const GRACEFUL_STOP_MS = 5_000;

/** infra/redis/redis.conf: the settings veoq wants (AOF everysec, noeviction). */
export const REDIS_CONF_PATH = assetPath("infra/redis/redis.conf");

/**
 * A private copy of veoq's redis.conf in dir, for servers that others may reconfigure: a
 * sentinel's CONFIG REWRITE must never touch infra/redis/redis.conf.
 */
export function copyRedisConfig(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const copy = path.join(dir, "redis.conf");
  copyFileSync(REDIS_CONF_PATH, copy);
  return copy;
}

/** One redis-server (or sentinel) child process on a fixed port and data dir. */
export interface RedisProcess {
  port: number;
  dataDir: string;
  /** SIGKILL: no shutdown save; what the AOF kept is all that survives. */
  kill(): Promise<void>;
  /** Graceful SHUTDOWN via SIGTERM. */
  stop(): Promise<void>;
  /** Starts it again with the same arguments (after kill or stop; stops it first if running). */
  restart(): Promise<void>;
  /** SIGSTOP: the port still accepts connections but nothing answers, until `thaw`. */
  freeze(): void;
  /** SIGCONT after `freeze`. */
  thaw(): void;
  /** Whether the child is running. */
  isRunning(): boolean;
}

/** Sends one inline command and returns the first reply chunk as text. */
export function sendRedisCommand(port: number, line: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from 127.0.0.1:${port} to ${line.split(" ")[0]}`));
    }, timeoutMs);
    let reply = "";
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("connect", () => socket.write(`${line}\r\n`));
    socket.on("data", (data) => {
      reply += data.toString();
      // Inline replies we use end with CRLF; wait a tick for multi-chunk bulk replies.
      setTimeout(() => {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      }, 20);
    });
  });
}

/** One `name:value` field of an INFO reply. */
export function infoField(info: string, name: string): string | undefined {
  return new RegExp(`${name}:(\\S+)`).exec(info)?.[1];
}

async function answersPing(port: number): Promise<boolean> {
  try {
    return (await sendRedisCommand(port, "PING", 500)).startsWith("+PONG");
  } catch {
    return false;
  }
}

/** Polls check every 50 ms until it holds or timeoutMs passes. */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Spawns `redis-server <args> --port <port> --dir <dataDir>` and waits for PING. The data dir
 * is the working directory, so relative files (logs, nodes.conf, sentinel.conf) land there.
 */
export async function spawnRedisProcess(options: {
  port: number;
  dataDir: string;
  args: readonly string[];
  startTimeoutMs: number;
}): Promise<RedisProcess> {
  const { port, args, startTimeoutMs } = options;
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  let child: ChildProcess | undefined;

  const launch = async () => {
    const proc = spawn(
      "redis-server",
      [
        ...args,
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
      waitUntil(() => answersPing(port), startTimeoutMs, `redis-server on port ${port}`),
      exited,
    ]);
  };

  const terminate = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    // A frozen server (SIGSTOP) would hold SIGTERM pending for ever; a master's graceful
    // shutdown waits up to shutdown-timeout (10 s) for replicas that may be stopping too. So
    // wake it first, and kill it if it has not exited after GRACEFUL_STOP_MS.
    if (signal === "SIGTERM") proc.kill("SIGCONT");
    proc.kill(signal);
    const timer =
      signal === "SIGTERM" ? setTimeout(() => proc.kill("SIGKILL"), GRACEFUL_STOP_MS) : undefined;
    await exited;
    if (timer !== undefined) clearTimeout(timer);
    child = undefined;
  };

  await launch();
  return {
    port,
    dataDir,
    kill: () => terminate("SIGKILL"),
    stop: () => terminate("SIGTERM"),
    restart: async () => {
      await terminate("SIGTERM");
      await launch();
    },
    freeze: () => {
      child?.kill("SIGSTOP");
    },
    thaw: () => {
      child?.kill("SIGCONT");
    },
    isRunning: () => child !== undefined && child.exitCode === null && child.signalCode === null,
  };
}
