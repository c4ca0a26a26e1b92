import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const CLI_DIR = fileURLToPath(new URL("..", import.meta.url));
const SAMPLE_DIR = fileURLToPath(new URL("../../../examples/demo/", import.meta.url));
const PNPM = ["-y", "pnpm@10.34.9"];

let dir: string;
let veoq: string;
let elsewhere: string;

/** The packed CLI (`pnpm pack`, which builds dist/ first) installed into a throwaway prefix. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "veoq-installed-"));
  await run("npx", [...PNPM, "pack", "--pack-destination", dir], {
    cwd: CLI_DIR,
    env: { ...process.env, COREPACK_INTEGRITY_KEYS: "0" },
  });
  const tarball = readdirSync(dir).find((name) => name.endsWith(".tgz"));
  if (tarball === undefined) throw new Error(`pnpm pack left no tarball in ${dir}`);
  const prefix = join(dir, "prefix");
  // --prefer-offline: the packages are in npm's cache after the first run.
  await run(
    "npm",
    ["install", "--global", "--prefer-offline", "--prefix", prefix, join(dir, tarball)],
    { env: { ...process.env, npm_config_loglevel: "error", npm_config_fund: "false" } },
  );
  veoq = join(prefix, "bin", "veoq");
  elsewhere = join(dir, "shots");
  mkdirSync(elsewhere);
  cpSync(join(SAMPLE_DIR, "manifest.jsonl"), join(elsewhere, "manifest.jsonl"));
  cpSync(join(SAMPLE_DIR, "images"), join(elsewhere, "images"), { recursive: true });
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every variable of this process but the Redis and provider ones, which each test sets. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  for (const name of Object.keys(env)) {
    if (/^(REDIS_|JIEKOU_|VEOQ_|AWS_)/.test(name)) delete env[name];
  }
  return env;
}

/** Starts an installed long-running command and resolves with it and its first stdout line. */
async function startServer(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; firstLine: string }> {
  const child = spawn(veoq, args, { cwd: elsewhere, env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = once(lines, "line").then(([line]) => String(line));
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(
      `veoq ${args.join(" ")} exited (${String(code)}) before it answered: ${stderr}`,
    );
  });
  return { child, firstLine: await Promise.race([first, exited]) };
}

describe("veoq installed from the packed tarball", () => {
  it("validates a manifest given by a path relative to the caller's folder", async () => {
    const { stdout } = await run(veoq, ["validate", "manifest.jsonl"], { cwd: elsewhere });
    expect(stdout).toContain("13 lines: 13 valid, 0 invalid");
  });

  it("runs the compiled bundle, not the TypeScript sources", async () => {
    const { stdout } = await run(veoq, ["--version"], { cwd: elsewhere });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const installed = join(dir, "prefix", "lib", "node_modules", "@veoq", "cli");
    expect(readdirSync(installed).sort()).toEqual(["dist", "node_modules", "package.json"]);
  });

  it("runs the demo (its own Redis from the shipped redis.conf, the sample, the simulator's videos)", async () => {
    const { stdout } = await run(veoq, ["demo", "--out", join(elsewhere, "demo"), "--json"], {
      cwd: elsewhere,
      env: cleanEnv(),
    });
    const summary = JSON.parse(stdout);
    expect(summary.batch).toMatchObject({ total: 13, counts: { completed: 12, failed: 1 } });
  }, 180_000);

  it("estimates from the shipped price table", async () => {
    const { stdout } = await run(veoq, ["estimate", "manifest.jsonl", "--json"], {
      cwd: elsewhere,
      env: cleanEnv(),
    });
    const estimate = JSON.parse(stdout);
    expect(estimate.tasks).toBeGreaterThan(0);
    expect(JSON.stringify(estimate)).toContain("USD");
  });

  describe("against a private Redis and the installed simulator", () => {
    let redis: LocalRedis;
    const servers: ChildProcess[] = [];
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      redis = await startLocalRedis({ dataDir: join(dir, "redis") });
      const mock = await startServer(["mock", "--port", "0", "--time-scale", "0.01"], cleanEnv());
      servers.push(mock.child);
      const baseUrl = /JIEKOU_BASE_URL=(\S+)/.exec(mock.firstLine)?.[1];
      if (baseUrl === undefined) throw new Error(`veoq mock said: ${mock.firstLine}`);
      env = {
        ...cleanEnv(),
        REDIS_URL: redis.url,
        JIEKOU_BASE_URL: baseUrl,
        JIEKOU_API_KEY: "sim-key",
        VEOQ_TIME_SCALE: "0.01",
        VEOQ_PROVIDER_RPM: "0",
        VEOQ_RETRY_BASE_MS: "50",
        VEOQ_OUTPUT_DIR: join(elsewhere, "out"),
        LOG_LEVEL: "warn",
      };
    }, 60_000);

    afterAll(async () => {
      for (const child of servers) child.kill("SIGKILL");
      await redis?.stop();
    });

    it("enqueues, works the batch with `veoq worker`, and reports status and results", async () => {
      const enqueued = await run(veoq, ["enqueue", "manifest.jsonl", "--batch", "b1", "--json"], {
        cwd: elsewhere,
        env,
      });
      expect(JSON.parse(enqueued.stdout)).toMatchObject({ batch_id: "b1", added: 13 });

      const worker = await startServer(["worker", "--json"], env);
      servers.push(worker.child);
      expect(JSON.parse(worker.firstLine)).toMatchObject({ event: "worker_started" });

      let batch: { finished?: boolean; counts?: Record<string, number> } = {};
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
        const { stdout } = await run(veoq, ["status", "b1", "--json"], { cwd: elsewhere, env });
        batch = JSON.parse(stdout).batches[0];
        if (batch.finished) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(batch).toMatchObject({ finished: true, counts: { completed: 12, failed: 1 } });

      await run(veoq, ["results", "b1", "--out", "results.jsonl"], { cwd: elsewhere, env });
      const lines = readFileSync(join(elsewhere, "results.jsonl"), "utf8").trim().split("\n");
      expect(lines).toHaveLength(13);
      const completed = lines
        .map((line) => JSON.parse(line))
        .filter((r) => r.status === "completed");
      expect(completed).toHaveLength(12);
      // The simulator's videos came out of the installed package and passed the output checks.
      expect(completed[0].files[0].bytes).toBeGreaterThan(0);
    }, 180_000);

    it("serves the dashboard", async () => {
      const dashboard = await startServer(["dashboard", "--port", "0"], env);
      servers.push(dashboard.child);
      const url = /dashboard +(\S+)/.exec(dashboard.firstLine)?.[1];
      expect(url).toBeDefined();
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("b1");
      const board = await fetch(`${url}/queues`);
      expect(board.status).toBe(200);
      // Bull Board's adapter accepted our queues (it checks them against its own bullmq).
      const api = await fetch(`${url}/queues/api/queues`);
      const { queues } = (await api.json()) as { queues: { name: string }[] };
      expect(queues.map((q) => q.name).sort()).toEqual(["download", "poll", "submit"]);
    }, 60_000);
  });
});
