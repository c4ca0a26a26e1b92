import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  isRedisServerInstalled,
  type LocalRedis,
  type LocalSentinelGroup,
  startLocalRedis,
  startLocalSentinel,
} from "@veoq/local-redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, REPO_ROOT, runCli } from "./run-cli.ts";

/**
 * A wrong Redis password (a canary) given through REDIS_PASSWORD with Sentinel and inside
 * REDIS_URL: every line the worker, the dashboard and a CLI command write, at LOG_LEVEL=trace,
 * is checked for it. ioredis hangs the AUTH command and its arguments on the error it raises;
 * the logger must not write them.
 */
const RIGHT_PASSWORD = `right-${randomBytes(6).toString("hex")}`;
/** How long a process keeps running once it met the wrong password: its repeated lines too. */
const AFTER_MS = 3_000;
/** How long a process may take to start and meet it on a loaded machine. */
const START_MS = 40_000;
/** What each process says when it meets the wrong password: Redis's own reply in a worker's and
 * the dashboard's log, the CLI's one line ("authentication failed", apps/cli/src/queue-session.ts). */
const WRONG_PASSWORD = /WRONGPASS|NOAUTH|invalid username-password|authentication failed/;

/**
 * Runs `veoq <args>` until its output (stdout and stderr together) shows the wrong password
 * met, then AFTER_MS more, then SIGTERM. `during` runs alongside (e.g. browsing the dashboard).
 */
function runUntilRefused(
  args: string[],
  env: NodeJS.ProcessEnv,
  during?: (output: () => string) => Promise<void>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    let stopping: NodeJS.Timeout | undefined;
    const onData = (chunk: Buffer) => {
      text += chunk;
      if (stopping === undefined && WRONG_PASSWORD.test(text)) {
        stopping = setTimeout(() => child.kill("SIGTERM"), AFTER_MS);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    const giveUp = setTimeout(() => child.kill("SIGKILL"), START_MS);
    void during?.(() => text).catch(() => {});
    child.on("close", () => {
      clearTimeout(stopping);
      clearTimeout(giveUp);
      resolve(text);
    });
  });
}

/** A few dashboard pages, so its Redis reads run while the password is wrong. */
async function browseDashboard(output: () => string): Promise<void> {
  const deadline = Date.now() + START_MS;
  let url: string | undefined;
  while (url === undefined && Date.now() < deadline) {
    url = /dashboard +(http:\/\/\S+)/.exec(output())?.[1];
    if (url === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  if (url === undefined) return;
  for (const page of ["/", "/api/batches", "/metrics", "/readyz"]) {
    await fetch(`${url}${page}`, { signal: AbortSignal.timeout(2_000) }).catch(() => {});
  }
}

describe.skipIf(!isRedisServerInstalled())("a wrong Redis password never reaches a log", () => {
  const dir = mkdtempSync(join(tmpdir(), "veoq-redis-password-"));
  let sentinel: LocalSentinelGroup;
  let standalone: LocalRedis;

  beforeAll(async () => {
    [sentinel, standalone] = await Promise.all([
      startLocalSentinel({ dataDir: join(dir, "sentinel"), replicas: 0, sentinels: 1 }),
      startLocalRedis({ dataDir: join(dir, "standalone") }),
    ]);
    // The sentinel learns the password before the master asks for it.
    const sentinelPort = sentinel.sentinelProcesses[0]?.port as number;
    const sentinelClient = new Redis({ port: sentinelPort, lazyConnect: true });
    await sentinelClient.call("SENTINEL", "SET", sentinel.masterName, "auth-pass", RIGHT_PASSWORD);
    sentinelClient.disconnect();
    for (const port of [await sentinel.masterPort(), standalone.port]) {
      const server = new Redis({ port, lazyConnect: true });
      await server.config("SET", "requirepass", RIGHT_PASSWORD);
      server.disconnect();
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([sentinel?.stop(), standalone?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const baseEnv = (canary: string): NodeJS.ProcessEnv => ({
    ...process.env,
    REDIS_URL: undefined,
    REDIS_SENTINELS: undefined,
    REDIS_SENTINEL_NAME: undefined,
    REDIS_CLUSTER_NODES: undefined,
    REDIS_PASSWORD: undefined,
    VEOQ_PREFIX: `{veoq-pw-${canary.slice(-6)}}`,
    JIEKOU_BASE_URL: "http://127.0.0.1:9",
    JIEKOU_API_KEY: "sim-key",
    LOG_LEVEL: "trace",
    NO_COLOR: "1",
  });

  const cases: [string, (canary: string) => NodeJS.ProcessEnv][] = [
    [
      "REDIS_PASSWORD with Sentinel",
      (canary) => ({
        ...baseEnv(canary),
        REDIS_SENTINELS: sentinel.sentinels,
        REDIS_SENTINEL_NAME: sentinel.masterName,
        REDIS_PASSWORD: canary,
      }),
    ],
    [
      "the password in REDIS_URL",
      (canary) => ({
        ...baseEnv(canary),
        REDIS_URL: `redis://:${canary}@127.0.0.1:${standalone.port}`,
      }),
    ],
  ];

  it.each(cases)(
    "%s: worker, dashboard and a CLI command write no line holding it",
    async (_name, envFor) => {
      const canary = `canary-${randomBytes(8).toString("hex")}`;
      const env = envFor(canary);
      const [worker, dashboard, status] = await Promise.all([
        runUntilRefused(["worker", "--json"], env),
        runUntilRefused(["dashboard", "--port", "0"], env, browseDashboard),
        runCli(["status", "--json"], { env }),
      ]);
      const outputs = { worker, dashboard, cli: status.stdout + status.stderr };
      // Each process met the wrong password (the test would prove nothing otherwise) ...
      for (const [name, text] of Object.entries(outputs)) {
        expect(text, name).toMatch(WRONG_PASSWORD);
      }
      const lines = Object.values(outputs)
        .join("\n")
        .split("\n")
        .filter((line) => line !== "");
      // ... and no line holds it.
      expect(lines.filter((line) => line.includes(canary))).toEqual([]);
    },
    2 * START_MS,
  );

  it(
    "a password changed on the server: the worker's lines never hold the old one",
    async () => {
      const old = RIGHT_PASSWORD;
      const env = {
        ...baseEnv(old),
        REDIS_URL: `redis://:${old}@127.0.0.1:${standalone.port}`,
        JIEKOU_API_KEY: "sim-key",
      };
      const changed = `changed-${randomBytes(6).toString("hex")}`;
      const admin = () =>
        new Redis({ port: standalone.port, password: changed, lazyConnect: true });
      try {
        const worker = await runUntilRefused(["worker", "--json"], env, async (output) => {
          const deadline = Date.now() + START_MS;
          while (!output().includes('"worker_started"') && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 100));
          }
          // The password changes; every connection must authenticate again (with the old one).
          const server = new Redis({ port: standalone.port, password: old, lazyConnect: true });
          await server.config("SET", "requirepass", changed);
          await server.call("CLIENT", "KILL", "TYPE", "normal").catch(() => {});
          server.disconnect();
        });
        expect(worker).toMatch(WRONG_PASSWORD);
        expect(worker.split("\n").filter((line) => line.includes(old))).toEqual([]);
      } finally {
        const server = admin();
        await server.config("SET", "requirepass", old);
        server.disconnect();
      }
    },
    2 * START_MS,
  );
});
