import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DIR, runCli, simulatorTestEnv, startCli } from "./run-cli.ts";

// A private Redis (AOF on): this test kills it and starts it again. No worker runs.
const dir = mkdtempSync(join(tmpdir(), "veoq-watch-blip-"));
let redis: LocalRedis;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  redis = await startLocalRedis({ dataDir: join(dir, "redis") });
  env = { ...simulatorTestEnv("{veoq}", "http://127.0.0.1:9", dir), REDIS_URL: redis.url };
  const enqueued = await runCli(["enqueue", join(DEMO_DIR, "manifest.jsonl"), "--batch", "w1"], {
    env,
  });
  expect(enqueued.code).toBe(0);
}, 60_000);

afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("status --watch through a Redis blip", () => {
  it("says Redis is unreachable and retrying, then goes on watching once it is back", async () => {
    const watch = startCli(["status", "w1", "--watch", "--json"], env);
    try {
      await watch.waitFor(/"batch_id":"w1"/, 60_000);
      await redis.kill();
      const lost = await watch.waitFor(/!! Redis unreachable, retrying[^\n]*\n/, 60_000);
      expect(lost[0]).not.toMatch(/max retries|Reached/);
      const seenBefore = watch.output().length;
      await redis.restart();
      // A new snapshot after the blip: the command kept watching.
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
        if (watch.output().slice(seenBefore).includes('"batch_id":"w1"')) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(watch.output().slice(seenBefore)).toContain('"batch_id":"w1"');
    } finally {
      await watch.stop();
    }
  }, 120_000);
});
