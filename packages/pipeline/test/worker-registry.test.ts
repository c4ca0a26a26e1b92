import { randomBytes } from "node:crypto";
import { removeKeysUnder } from "@veoq/local-redis";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { liveKeysOf, liveRolesOf, type WorkerRecord, WorkerRegistry } from "../src/index.ts";

describe("WorkerRegistry", () => {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const prefix = `{veoq-test-${randomBytes(4).toString("hex")}}`;
  const registry = new WorkerRegistry(redis, prefix);
  afterAll(async () => {
    await removeKeysUnder(redis, prefix);
    redis.disconnect();
  });

  const record = (id: string, roles: WorkerRecord["roles"]): WorkerRecord => ({
    id,
    roles,
    host: "h",
    pid: 1,
    version: "1.2.3",
    startedAt: 1000,
    beatAt: Date.now(),
    concurrency: { submit: 4 },
    lastJob: null,
  });

  it("lists a record while it lives and forgets it (and its index entry) once it expired", async () => {
    await registry.beat(record("short", ["submit"]), 150);
    await registry.beat(record("long", ["poll", "download"]), 30_000);
    expect((await registry.list()).map((w) => w.id).sort()).toEqual(["long", "short"]);
    await new Promise((r) => setTimeout(r, 400));
    const live = await registry.list();
    expect(live.map((w) => w.id)).toEqual(["long"]);
    expect([...liveRolesOf(live)].sort()).toEqual(["download", "poll"]);
    expect(await redis.zrange(registry.keys.workers, 0, -1)).toEqual(["long"]);
    await registry.remove("long");
    expect(await registry.list()).toEqual([]);
  });

  it("skips a record that does not parse", async () => {
    await redis.set(registry.keys.worker("odd"), "{not json", "PX", 10_000);
    await redis.zadd(registry.keys.workers, Date.now(), "odd");
    expect(await registry.list()).toEqual([]);
    await registry.remove("odd");
  });

  it("keeps a heartbeat alive, carries the last job taken, and removes the record on stop", async () => {
    const heartbeat = await registry.startHeartbeat(
      {
        roles: ["submit", "poll"],
        version: "9.9.9",
        concurrency: { submit: 2, poll: 8 },
        startedAt: 5,
      },
      { intervalMs: 50, ttlMs: 200 },
    );
    heartbeat.jobTaken("poll", "b~x");
    await new Promise((r) => setTimeout(r, 500)); // longer than the TTL: only the beats keep it
    const [worker] = await registry.list();
    expect(worker).toMatchObject({
      id: heartbeat.id,
      roles: ["submit", "poll"],
      version: "9.9.9",
      pid: process.pid,
      concurrency: { submit: 2, poll: 8 },
      startedAt: 5,
      lastJob: { role: "poll", jobId: "b~x" },
    });
    await heartbeat.stop();
    expect(await registry.list()).toEqual([]);
  });
});

describe("liveKeysOf", () => {
  it("lists per role the key names live workers hold; a record without keys holds any", () => {
    const record = (roles: WorkerRecord["roles"], keys?: string[]): WorkerRecord => ({
      id: `w-${roles.join("-")}`,
      roles,
      host: "h",
      pid: 1,
      version: "x",
      startedAt: 0,
      beatAt: 0,
      concurrency: {},
      lastJob: null,
      ...(keys === undefined ? {} : { keys }),
    });
    const keys = liveKeysOf([
      record(["submit", "poll"], ["a", "b"]),
      record(["poll", "download"], ["c"]),
      record(["download"]),
    ]);
    expect(keys.get("submit")).toEqual(new Set(["a", "b"]));
    expect(keys.get("poll")).toEqual(new Set(["a", "b", "c"]));
    expect(keys.get("download")).toEqual(new Set(["c", "*"]));
  });
});
