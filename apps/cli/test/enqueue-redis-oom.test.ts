import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRedisServerInstalled, type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueBig, writeBigManifest } from "./big-manifest.ts";

const LINES = 1_500;
const PREFIX = "{veoq}";

/**
 * `veoq enqueue` against a private Redis whose memory runs out mid-way (maxmemory, noeviction as
 * infra/redis/redis.conf sets): one line naming maxmemory, no stack trace, and every job queued
 * is a registered item (no item rendered that `status` does not count).
 */
describe.skipIf(!isRedisServerInstalled())("veoq enqueue when Redis runs out of memory", () => {
  const dir = mkdtempSync(join(tmpdir(), "veoq-cli-redis-oom-"));
  let manifest: string;
  let redis: LocalRedis;

  beforeAll(async () => {
    redis = await startLocalRedis({ dataDir: join(dir, "redis") });
    manifest = writeBigManifest(dir, LINES, (i) => `shot ${i} ${"of a long prompt ".repeat(20)}`);
  });

  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const enqueue = () => enqueueBig(manifest, redis.url, PREFIX);

  it("stops with one line naming maxmemory; items registered equal jobs queued", async () => {
    const probe = new Redis(redis.url);
    try {
      // Room for the batch record and a part of the jobs only.
      const used = Number(/used_memory:(\d+)/.exec(await probe.info("memory"))?.[1]);
      await probe.config("SET", "maxmemory-policy", "noeviction");
      await probe.config("SET", "maxmemory", String(used + 2 * 1024 * 1024));
      const first = await enqueue();
      expect(first.code).toBe(1);

      const items = await probe.hlen("{veoq:b:big}:states");
      // Job hashes only (not their :logs or :lock keys).
      const jobs = (await probe.keys(`${PREFIX}:submit:big~*`)).filter(
        (key) => !key.slice(key.indexOf("~")).includes(":"),
      ).length;
      console.log(`after OOM: ${items} items registered, ${jobs} jobs queued`);
      expect(items).toBeGreaterThan(0);
      expect(jobs).toBe(items);
      const lines = first.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/maxmemory/);
      expect(first.stderr).not.toMatch(/\n\s+at /);

      // Memory back: the same enqueue adds exactly the rest.
      await probe.config("SET", "maxmemory", "0");
      const second = await enqueue();
      expect(second.code).toBe(0);
      expect(await probe.hlen("{veoq:b:big}:states")).toBe(LINES);
    } finally {
      probe.disconnect();
    }
  }, 120_000);
});
