import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = join(REPO_ROOT, "apps", "cli", "bin", "veoq-sources.js");
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe("producer commands when Redis takes the connection but never answers (SIGSTOP)", () => {
  const dir = mkdtempSync(join(tmpdir(), "veoq-cli-redis-stopped-"));
  const manifest = join(dir, "one.jsonl");
  let redis: LocalRedis;

  beforeAll(async () => {
    redis = await startLocalRedis({ dataDir: join(dir, "redis") });
    writeFileSync(join(dir, "frame.png"), PNG);
    const line = {
      custom_id: "shot-1",
      model: "veo-3.1-generate-img2video",
      input: { prompt: "a lake", image: "frame.png", duration_seconds: 8, resolution: "720p" },
    };
    writeFileSync(manifest, `${JSON.stringify(line)}\n`);
    redis.freeze();
  });

  afterAll(async () => {
    redis?.thaw();
    await redis?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  // Killed after 100 s (ten times the command timeout, for a loaded machine): a command still
  // running then has hung (code null).
  const run = (args: readonly string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        {
          cwd: REPO_ROOT,
          timeout: 100_000,
          killSignal: "SIGKILL",
          env: { ...process.env, REDIS_URL: redis.url, VEOQ_PREFIX: "{veoq}", LOG_LEVEL: "warn" },
        },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
          resolve({ code, stdout, stderr });
        },
      );
    });

  it("status, results, retry, enqueue and resume each exit 1 with one line naming REDIS_URL", async () => {
    const commands = [
      ["status"],
      ["status", "some-batch"],
      ["results", "some-batch"],
      ["retry", "some-batch"],
      ["enqueue", manifest, "--batch", "b1"],
      ["resume"],
    ];
    const results = await Promise.all(commands.map((args) => run(args)));
    for (const [i, result] of results.entries()) {
      const stderrLines = result.stderr.split("\n").filter((line) => line !== "");
      expect({ command: commands[i], code: result.code, stderr: stderrLines }).toEqual({
        command: commands[i],
        code: 1,
        stderr: [expect.stringMatching(/^veoq: .*REDIS_URL/)],
      });
      expect(result.stderr).toContain(`127.0.0.1:${redis.port}`);
    }
  }, 150_000);
});
