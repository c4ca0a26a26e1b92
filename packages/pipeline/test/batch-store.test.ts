import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { BatchStore } from "../src/index.ts";

describe("BatchStore", () => {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const prefixes: string[] = [];
  let store: BatchStore;
  beforeEach(async () => {
    const prefix = `{veoq-test-${randomBytes(4).toString("hex")}}`;
    prefixes.push(prefix);
    store = new BatchStore(redis, prefix);
    await store.ensureBatch("b", "/m.jsonl", 1000);
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });

  it("completes a half-registered batch (record without list entry) on the next enqueue", async () => {
    await store.ensureBatch("half", "/h.jsonl", 2000);
    await redis.zrem(store.keys.batches, "half"); // as an interrupted older enqueue left it
    expect(await store.listBatchIds()).not.toContain("half");
    await store.ensureBatch("half", "/h.jsonl", 3000);
    expect(await store.listBatchIds()).toContain("half");
    expect(await redis.hget(store.keys.batch("half"), "createdAt")).toBe("2000");
  });

  it("registers each custom id once and derives the total", async () => {
    expect(await store.registerItems("b", ["a", "b"])).toEqual(["a", "b"]);
    expect(await store.registerItems("b", ["b", "c"])).toEqual(["c"]);
    const batch = await store.getBatch("b");
    expect(batch?.total).toBe(3);
    expect(batch?.counts.queued).toBe(3);
    expect(batch?.source).toBe("/m.jsonl");
  });

  it("moves states forward only, keeping the counts exact", async () => {
    await store.registerItems("b", ["a"]);
    expect(await store.transition("b", "a", "downloading")).toBe(true);
    expect(await store.transition("b", "a", "processing")).toBe(false); // a late step cannot go back
    expect(await store.transition("b", "a", "downloading")).toBe(false); // repeated: no-op
    expect(await store.itemState("b", "a")).toBe("downloading");
    expect(await store.transition("b", "a", "queued", { force: true })).toBe(true);
    const batch = await store.getBatch("b");
    expect(batch?.counts).toMatchObject({ queued: 1, processing: 0, downloading: 0 });
  });

  it("finds items by task id and by custom id across batches", async () => {
    await store.ensureBatch("b2", "/n.jsonl", 2000);
    await store.registerItems("b", ["shot"]);
    await store.registerItems("b2", ["shot"]);
    await store.indexTask("task-1", "b2", "shot");
    expect(await store.findTask("task-1")).toEqual({ batchId: "b2", customId: "shot" });
    expect(await store.findTask("nope")).toBeUndefined();
    expect((await store.findCustomId("shot")).map((r) => r.batchId).sort()).toEqual(["b", "b2"]);
  });
});
