import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { statusJson } from "@veoq/report";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeBigManifest } from "./big-manifest.ts";
import { CLI, REPO_ROOT, runCli } from "./run-cli.ts";

const LINES = 20_000;

describe("veoq enqueue interrupted by Ctrl-C", () => {
  // A private Redis: the test holds its writes (CLIENT PAUSE) so the interrupt lands mid-way.
  const dir = mkdtempSync(join(tmpdir(), "veoq-cli-interrupt-"));
  let manifest: string;
  let redis: LocalRedis;
  const env = () => ({
    ...process.env,
    REDIS_URL: redis.url,
    VEOQ_PREFIX: "{veoq}",
    LOG_LEVEL: "warn",
    NO_COLOR: "1",
  });

  beforeAll(async () => {
    redis = await startLocalRedis({ dataDir: join(dir, "redis") });
    manifest = writeBigManifest(dir, LINES, (i) => `shot ${i}`);
  });

  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function status() {
    const run = await runCli(["status", "big", "--json"], { env: env() });
    expect(run.code).toBe(0);
    return statusJson.parse(JSON.parse(run.stdout)).batches[0];
  }

  it("says what it enqueued and how to finish, exits 130, and the batch shows it until a full run", async () => {
    const probe = new Redis(redis.url);
    try {
      const child = spawn(process.execPath, [CLI, "enqueue", manifest, "--batch", "big"], {
        cwd: REPO_ROOT,
        env: env(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => {
        stdout += c;
      });
      child.stderr.on("data", (c) => {
        stderr += c;
      });
      const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
      const deadline = Date.now() + 30_000;
      while ((await probe.zcard("{veoq}:submit:prioritized")) === 0) {
        if (Date.now() > deadline) throw new Error("no job landed within 30 s");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // Hold the writes while Ctrl-C arrives, so the enqueue cannot reach the end first.
      await probe.call("CLIENT", "PAUSE", "1500", "WRITE");
      child.kill("SIGINT");
      const code = await exited;
      expect(code).toBe(130);
      expect(stderr).toContain("interrupted");
      expect(stderr).not.toContain("    at ");
      const said = /interrupted: (\d+) of ([\d,]+) lines enqueued into batch big/.exec(stdout);
      expect(said, stdout).not.toBeNull();
      const done = Number(said?.[1]);
      expect(Number(said?.[2]?.replace(/,/g, ""))).toBe(LINES);
      expect(done).toBeGreaterThan(0);
      expect(done).toBeLessThan(LINES);
      expect(stdout).toContain("run the same command again");
      expect(stdout).toContain(`veoq enqueue ${manifest} --batch big`);
      // Everything it said is in, is in.
      expect(await probe.hlen("{veoq:b:big}:states")).toBe(done);

      const partial = await status();
      expect(partial?.enqueue_incomplete).toEqual({ lines: done, total_lines: LINES });
      const text = await runCli(["status", "big"], { env: env() });
      expect(text.stdout).toContain(`enqueue incomplete: ${done} of`);

      const again = await runCli(["enqueue", manifest, "--batch", "big"], { env: env() });
      expect(again.code, again.stderr).toBe(0);
      expect(await probe.hlen("{veoq:b:big}:states")).toBe(LINES);
      const complete = await status();
      expect(complete?.enqueue_incomplete).toBeUndefined();
      expect((await runCli(["status", "big"], { env: env() })).stdout).not.toContain(
        "enqueue incomplete",
      );
    } finally {
      probe.disconnect();
    }
  }, 120_000);
});
