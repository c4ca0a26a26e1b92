import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueBig, writeBigManifest } from "./big-manifest.ts";

const LINES = 20_000;

describe("veoq enqueue when Redis goes away mid-way", () => {
  // A private Redis (AOF on): this test kills it.
  const dir = mkdtempSync(join(tmpdir(), "veoq-cli-redis-loss-"));
  let manifest: string;
  let redis: LocalRedis;

  beforeAll(async () => {
    redis = await startLocalRedis({ dataDir: join(dir, "redis") });
    manifest = writeBigManifest(dir, LINES, (i) => `shot ${i}`);
  });

  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const enqueue = () => enqueueBig(manifest, redis.url, "{veoq}");

  it("stops with one line naming REDIS_URL, and a second run adds exactly the rest", async () => {
    const probe = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    probe.on("error", () => {});
    const first = enqueue();
    // Once the first jobs have landed, hold every write (so the enqueue cannot finish first,
    // however slow this machine is), then kill Redis.
    const deadline = Date.now() + 30_000;
    // Submit jobs are prioritised by their fair-share turn: they land in the prioritized set.
    while ((await probe.zcard("{veoq}:submit:prioritized")) === 0) {
      if (Date.now() > deadline) throw new Error("no job landed within 30 s");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await probe.call("CLIENT", "PAUSE", "30000", "WRITE");
    probe.disconnect();
    await redis.kill();
    const failed = await first;
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /^veoq: lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+\/? \(REDIS_URL\) during the enqueue/,
    );
    expect(failed.stderr).toContain("run the same enqueue again");
    expect(failed.stderr).not.toContain("    at "); // no stack trace

    await redis.restart();
    const second = await enqueue();
    expect(second.code).toBe(0);
    const check = new Redis(redis.url);
    try {
      expect(await check.zcard("{veoq}:submit:prioritized")).toBe(LINES);
      expect(await check.hlen("{veoq:b:big}:states")).toBe(LINES);
    } finally {
      check.disconnect();
    }
  }, 60_000);
});
